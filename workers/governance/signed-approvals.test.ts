import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { projectRevisions, projects, siteApprovals, siteTasks } from "@/db/schema";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { hashBundle } from "@/protocol/bundle-hash";
import type { Bundle } from "@/protocol/bundle";
import { openLedger } from "../ledger/ledger";
import { COHORT_FIXTURE_SCHEMA, createCohortFixture, type CohortFixture } from "../test-support/cohort-fixture";
import { waitForTask } from "../test-support/hub-fixture";
import { ANY_AF, createSignedApprovalScene, signedPolicy, type SceneSite } from "../test-support/signed-approval-scene";
import { createSoftwareAuthenticator } from "../test-support/software-authenticator";
import { useWorkerFleet } from "../test-support/worker-fleet";
import type { WorkerProcess } from "../test-support/worker-process";

/**
 * Signed approvals end to end, with real worker processes: sites enrol their approvers' passkey
 * keys, and run a project task only when it carries a bundle one of them signed for this site and
 * revision and fits inside it. Each way a hub could be tampered with is refused by every site it
 * reaches, with nothing run and the reason in the site's own ledger.
 */
const testDb = useTestDatabase();
const fleet = useWorkerFleet(() => testDb.db());
let fixture: CohortFixture;
let sceneCount = 0;

beforeAll(async () => {
  fixture = await createCohortFixture(inject("pgAdminUrl"));
});
afterAll(async () => {
  await fixture?.drop();
});

async function scene() {
  const n = ++sceneCount;
  return createSignedApprovalScene(testDb.db(), [`KCH${n}`, `GSTT${n}`]);
}

function startSites(sites: SceneSite[], extra: (site: SceneSite) => Record<string, unknown> = () => ({})) {
  return sites.map((site) =>
    fleet.startWorker(site.token, site.code, fixture, {
      policy: signedPolicy(site, extra(site)),
      env: { FLIP_SITE_DB_SCHEMA: COHORT_FIXTURE_SCHEMA },
    }),
  );
}

function verifiedApprovalsOf(worker: WorkerProcess) {
  const ledger = openLedger(worker.stateDir);
  try {
    return ledger.listVerifiedApprovals();
  } finally {
    ledger.close();
  }
}

function ledgerOf(worker: WorkerProcess) {
  const ledger = openLedger(worker.stateDir);
  try {
    return ledger.list();
  } finally {
    ledger.close();
  }
}

/** The site refused the task under its policy, sent the hub only the fixed text, and recorded why. */
async function expectRefused(site: SceneSite, worker: WorkerProcess, taskId: string, reason: RegExp) {
  const task = await waitForTask(testDb.db(), site.id, (t) => t.id === taskId && t.status === "failed", "a refusal");
  expect(task).toMatchObject({ failureCode: "refused_by_site_policy", result: null });
  expect(task.failureMessage).not.toMatch(/[0-9a-f]{64}/);
  const entries = ledgerOf(worker).filter((e) => e.taskId === taskId);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ outcome: "refused", figures: null });
  expect(entries[0]!.reason).toMatch(reason);
}

async function expectRefusedEverywhere(
  sites: SceneSite[],
  workers: WorkerProcess[],
  taskIds: Record<string, string>,
  reason: RegExp,
) {
  for (const [i, site] of sites.entries()) await expectRefused(site, workers[i]!, taskIds[site.code]!, reason);
  for (const worker of workers) expect(ledgerOf(worker).filter((e) => e.outcome === "released")).toEqual([]);
}

describe("signed approvals at the site", () => {
  test("the honest flow runs: feasibility counts where allowed before approval, approved counts after signed approval", async () => {
    const s = await scene();
    const [kch, gstt] = s.sites as [SceneSite, SceneSite];
    const workers = startSites(s.sites, (site) => ({ allowFeasibility: site === kch }));
    const started = await workers[0]!.waitForLog((l) => l.msg === "Worker started");
    expect(started).toMatchObject({ signedApprovals: "required" });
    expect(started.trustedApprovers).toContain(signedPolicy(kch).approvers[0]!.fingerprint);

    // Before any approval: counts only, and only where the site's policy allows feasibility.
    const feasibility = await runCohort(testDb.db(), s.researcher, {
      projectId: s.projectId,
      purpose: "feasibility",
      siteIds: [kch.id, gstt.id],
    });
    const feasibilityTasks = await testDb
      .db()
      .select()
      .from(siteTasks)
      .where(sql`${siteTasks.payload}->>'purpose' = 'feasibility'`);
    expect(feasibility.purpose).toBe("feasibility");
    const byCode = (code: string) =>
      feasibilityTasks.find((t) => t.siteId === s.sites.find((x) => x.code === code)!.id)!;
    await waitForTask(testDb.db(), kch.id, (t) => t.id === byCode(kch.code).id && t.status === "done", "feasibility");
    await expectRefused(gstt, workers[1]!, byCode(gstt.code).id, /^feasibility_not_allowed$/);

    await s.approveSigned();
    const tasks = await s.runApprovedCount();
    for (const [i, site] of s.sites.entries()) {
      const done = await waitForTask(
        testDb.db(),
        site.id,
        (t) => t.id === tasks[site.code] && t.status === "done",
        "count",
      );
      expect(done.result).toMatchObject({ threshold: 10 });
      expect(ledgerOf(workers[i]!).find((e) => e.taskId === tasks[site.code])).toMatchObject({ outcome: "released" });
      // The site's own record of whose signed decision it ran the count under.
      expect(verifiedApprovalsOf(workers[i]!)).toEqual([
        expect.objectContaining({
          projectId: s.projectId,
          bundleHash: expect.stringMatching(/^[0-9a-f]{64}$/),
          tasks: 1,
        }),
      ]);
    }
  });

  test("a revision's bundle edited in the hub's database, with or without its hash, is refused by every site", async () => {
    const s = await scene();
    const revision = await s.approveSigned();
    const workers = startSites(s.sites);
    const [row] = await testDb.db().select().from(projectRevisions).where(eq(projectRevisions.id, revision.id));
    const edited: Bundle = { ...row!.bundle, cohort: ANY_AF };

    await testDb.db().update(projectRevisions).set({ bundle: edited }).where(eq(projectRevisions.id, revision.id));
    await expectRefusedEverywhere(
      s.sites,
      workers,
      await s.runApprovedCount(),
      /^approval_invalid: the bundle hashes to /,
    );

    await testDb
      .db()
      .update(projectRevisions)
      .set({ bundleHash: hashBundle(edited) })
      .where(eq(projectRevisions.id, revision.id));
    await expectRefusedEverywhere(
      s.sites,
      workers,
      await s.runApprovedCount(),
      /^approval_invalid: the approval's signature does not hold: the signature is for another statement/,
    );
  });

  test("approval rows forged in the hub's database, signed by a key no site enrolled or not signed at all, are refused", async () => {
    const s = await scene();
    await s.approveSigned();
    const revision = await s.revise(ANY_AF);
    const [kch, gstt] = s.sites as [SceneSite, SceneSite];
    const intruder = createSoftwareAuthenticator();
    const decidedAt = new Date().toISOString();
    const forged = intruder.signApproval({
      bundleHash: revision.bundleHash,
      revisionId: revision.id,
      projectId: s.projectId,
      siteCode: kch.code,
      decision: "approved",
      decidedAt,
    });
    await testDb
      .db()
      .update(siteApprovals)
      .set({
        status: "approved",
        decidedAt: new Date(decidedAt),
        signature: { keyFingerprint: "f".repeat(64), assertion: forged },
      })
      .where(and(eq(siteApprovals.revisionId, revision.id), eq(siteApprovals.siteId, kch.id)));
    await testDb
      .db()
      .update(siteApprovals)
      .set({ status: "approved", decidedAt: new Date() })
      .where(and(eq(siteApprovals.revisionId, revision.id), eq(siteApprovals.siteId, gstt.id)));
    await testDb.db().update(projects).set({ status: "active" }).where(eq(projects.id, s.projectId));

    const workers = startSites(s.sites);
    const tasks = await s.runApprovedCount();
    await expectRefused(kch, workers[0]!, tasks[kch.code]!, /none of the enrolled approvers' keys$/);
    await expectRefused(gstt, workers[1]!, tasks[gstt.code]!, /^approval_missing: this site has not approved revision/);
  });

  test("a task's payload edited in the queue is refused by every site", async () => {
    const s = await scene();
    await s.approveSigned();
    const tasks = await s.runApprovedCount();
    await testDb
      .db()
      .update(siteTasks)
      .set({ payload: sql`jsonb_set(${siteTasks.payload}, '{definition}', ${JSON.stringify(ANY_AF)}::jsonb)` })
      .where(inArray(siteTasks.id, Object.values(tasks)));
    const workers = startSites(s.sites);
    await expectRefusedEverywhere(
      s.sites,
      workers,
      tasks,
      /^outside_approval: the task's cohort is not the approved bundle's cohort$/,
    );
  });

  test("an approval replayed for another site is refused there", async () => {
    const s = await scene();
    const [kch, gstt] = s.sites as [SceneSite, SceneSite];
    const revision = await s.approveSigned([kch]);
    const signed = await s.approvalOf(revision.id, kch.id);
    await testDb
      .db()
      .update(siteApprovals)
      .set({ status: "approved", decidedAt: signed.decidedAt, signature: signed.signature })
      .where(and(eq(siteApprovals.revisionId, revision.id), eq(siteApprovals.siteId, gstt.id)));
    const workers = startSites(s.sites);
    const tasks = await s.runApprovedCount();
    await waitForTask(testDb.db(), kch.id, (t) => t.id === tasks[kch.code] && t.status === "done", "KCH's count");
    await expectRefused(gstt, workers[1]!, tasks[gstt.code]!, /the signature is for another statement/);
    expect(ledgerOf(workers[1]!).filter((e) => e.outcome === "released")).toEqual([]);
  });

  test("approvals replayed for another revision are refused by every site", async () => {
    const s = await scene();
    const first = await s.approveSigned();
    const second = await s.revise(ANY_AF);
    for (const site of s.sites) {
      const signed = await s.approvalOf(first.id, site.id);
      await testDb
        .db()
        .update(siteApprovals)
        .set({ status: "approved", decidedAt: signed.decidedAt, signature: signed.signature })
        .where(and(eq(siteApprovals.revisionId, second.id), eq(siteApprovals.siteId, site.id)));
    }
    await testDb.db().update(projects).set({ status: "active" }).where(eq(projects.id, s.projectId));
    const workers = startSites(s.sites);
    await expectRefusedEverywhere(
      s.sites,
      workers,
      await s.runApprovedCount(),
      /the signature is for another statement/,
    );
  });
});
