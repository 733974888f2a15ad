import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { cohortRunTasks } from "@/db/schema";
import { runCohort } from "@/server/cohorts/cohorts.service";
import { callerAs, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { logisticModel } from "@/server/lib/test-support/training-fixtures";
import { createApprovedProject } from "@/server/projects/approved-project";
import { eq } from "drizzle-orm";
import type { CohortCountResult } from "@/protocol/contract";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { countRdp } from "@/protocol/privacy/dp-counts";
import { DEFAULT_ORDERS } from "@/protocol/privacy/rdp";
import { openLedger } from "../ledger/ledger";
import { cohort, condition } from "../test-support/cohort-definitions";
import { COHORT_FIXTURE_SCHEMA, createCohortFixture, type CohortFixture } from "../test-support/cohort-fixture";
import { makeSiteWithToken, waitForTask } from "../test-support/hub-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "../test-support/worker-process";

/**
 * DP cohort counts from the researcher's request through real worker processes and back: the hub
 * sends the settings, each site noises and charges its own ledger, the hub shows the spend; a site
 * that requires DP refuses a plain count, and a site whose budget is spent refuses before counting.
 */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
let hub: { url: string; close: () => Promise<void> };
let fixture: CohortFixture;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  [hub, fixture] = await Promise.all([startHubServer(testDb.db()), createCohortFixture(adminUrl)]);
});
afterAll(async () => {
  await Promise.all(workers.splice(0).map(killWorker));
  await hub?.close();
  await fixture?.drop();
});

const STROKE = cohort(condition([C.cerebrovascularAccident]));
const DP = { epsilon: 1, delta: 1e-5 };

async function startSite(code: string, policy: Record<string, unknown>) {
  const db = testDb.db();
  const { site, token } = await makeSiteWithToken(db, code, { skipFirstInventory: true });
  const worker = spawnWorker({
    hubUrl: hub.url,
    token,
    siteDatabaseUrl: fixture.url,
    policy: { site: code, allowedTaskKinds: ["site_inventory", "cohort_count"], ...policy },
    env: { FLIP_SITE_DB_SCHEMA: COHORT_FIXTURE_SCHEMA },
  });
  workers.push(worker);
  const approver = await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id);
  return { site, worker, approver };
}

describe("DP cohort counts through real workers", () => {
  test(
    "sites noise and charge DP counts, the hub shows the spend; DP-required and over-budget counts are refused",
    { timeout: 90_000 },
    async () => {
      const db = testDb.db();
      const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
      const budget = { maxEpsilon: 1.2, delta: 1e-5 };
      const [kch, gstt] = await Promise.all([
        startSite("KCH", { privacyBudget: budget }),
        startSite("GSTT", { privacyBudget: budget, requireDifferentialPrivacyForCounts: true }),
      ]);
      const { projectId } = await createApprovedProject(db, researcher, {
        title: "DP counts",
        purpose: "Count strokes with differential privacy at two sites, for the tests.",
        cohort: STROKE,
        approvers: [kch, gstt].map((s) => ({ approver: s.approver, siteId: s.site.id })),
        model: logisticModel(),
      });
      const siteIds = [kch.site.id, gstt.site.id];
      const settle = async (runId: string, siteId: string, status: "done" | "failed") => {
        const [link] = await db
          .select()
          .from(cohortRunTasks)
          .where(eq(cohortRunTasks.runId, runId))
          .then((rows) => rows.filter((r) => r.siteId === siteId));
        return waitForTask(db, siteId, (t) => t.id === link!.taskId && t.status === status, `a ${status} count`);
      };

      const first = await runCohort(db, researcher, {
        projectId,
        purpose: "approved",
        siteIds,
        differentialPrivacy: DP,
      });
      for (const { site } of [kch, gstt]) {
        const result = (await settle(first.id, site.id, "done")).result as CohortCountResult;
        expect(result.differentialPrivacy).toMatchObject({ ...DP, maxEpsilon: 1.2, budgetDelta: 1e-5 });
        expect(result.differentialPrivacy!.epsilonSpent).toBeCloseTo(1, 9);
      }
      const budgets = await callerAs(db, researcher).privacy.budgets({ projectId });
      expect(budgets.map((b) => [b.siteCode, b.epsilonSpent.toFixed(6), b.maxEpsilon, b.reportedWith.kind])).toEqual([
        ["GSTT", "1.000000", 1.2, "count"],
        ["KCH", "1.000000", 1.2, "count"],
      ]);

      // A plain count: KCH runs it; GSTT's policy requires DP for counts and refuses it.
      const plain = await runCohort(db, researcher, { projectId, purpose: "approved", siteIds });
      expect(((await settle(plain.id, kch.site.id, "done")).result as CohortCountResult).differentialPrivacy).toBe(
        undefined,
      );
      const refused = await settle(plain.id, gstt.site.id, "failed");
      expect(refused).toMatchObject({ failureCode: "refused_by_site_policy", result: null });
      expect(refused.failureMessage).toContain("requireDifferentialPrivacyForCounts");

      // A second DP count would take KCH over ε = 1.2: refused before counting, and nothing more is charged.
      const second = await runCohort(db, researcher, {
        projectId,
        purpose: "approved",
        siteIds: [kch.site.id],
        differentialPrivacy: DP,
      });
      const overBudget = await settle(second.id, kch.site.id, "failed");
      expect(overBudget.failureCode).toBe("refused_by_site_policy");
      expect(overBudget.failureMessage).toContain("this count would bring it to");
      const ledger = openLedger(kch.worker.stateDir);
      const spent = ledger.privacySpent(projectId, DEFAULT_ORDERS);
      const reasons = ledger.list({ projectId }).map((e) => [e.outcome, e.reason?.split(":")[0] ?? null]);
      ledger.close();
      countRdp(DP).forEach((r, k) => expect(spent[k]).toBeCloseTo(r, 12));
      expect(reasons).toEqual([
        ["refused", "privacy_budget_spent"],
        ["released", null],
        ["released", null],
      ]);
    },
  );
});
