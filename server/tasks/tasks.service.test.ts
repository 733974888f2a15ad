import { randomUUID } from "node:crypto";
import { and, count, eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { connectDatabase } from "@/db/client";
import { auditEvents, siteTasks } from "@/db/schema";
import { verifyAuditChain } from "@/server/audit/audit.service";
import { makeSite } from "@/server/lib/test-support/fixtures";
import { parsePublicKey } from "@/protocol/webauthn/public-key";
import { createSignedApprovalScene } from "@/workers/test-support/signed-approval-scene";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { claimTask, leaseNextTask } from "./leasing";
import { completeTask, enqueueTask, failTask, releaseTask, renewLease } from "./tasks.service";
import { recordHeartbeat } from "@/server/site-network/site-health.service";
import { MAX_TASKS_IN_FLIGHT_LISTED } from "@/protocol/contract";
import { sweepExpiredTasks, UNLISTED_LEASE_GRACE_SECONDS } from "./lease-sweep";
import { closeChangeFeed } from "@/server/database/change-feed";

const testDb = useTestDatabase();
const hub = { type: "system", label: "test" } as const;
const inventory = {
  threshold: 10,
  rounding: 5,
  persons: 120,
  observationYears: 800,
  imagesByModality: { CT: 40 },
  topConditions: [],
};

async function enqueue(site: { id: string; code: string }, extra: { leaseMs?: number; maxAttempts?: number } = {}) {
  return testDb.db().transaction((tx) =>
    enqueueTask(tx, {
      siteId: site.id,
      siteCode: site.code,
      kind: "site_inventory",
      payload: {},
      actor: hub,
      ...extra,
    }),
  );
}

async function auditCount() {
  const [row] = await testDb.db().select({ n: count() }).from(auditEvents);
  return row!.n;
}

describe("leased task queue", () => {
  it("hands a site only its own tasks, oldest first", async () => {
    const db = testDb.db();
    const [a, b] = [await makeSite(db, "QA"), await makeSite(db, "QB")];
    const first = await enqueue(a);
    await enqueue(b);
    const second = await enqueue(a);
    expect((await leaseNextTask(db, a))?.taskId).toBe(first.id);
    expect((await leaseNextTask(db, a))?.taskId).toBe(second.id);
    expect(await leaseNextTask(db, a)).toBeNull();
  });

  it("wakes a waiting claim through NOTIFY from another connection pool", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QN");
    // A second pool stands in for a second portal process on the same database.
    const other = connectDatabase(testDb.url());
    try {
      const waiting = claimTask(db, site, { waitMs: 20_000 });
      await new Promise((r) => setTimeout(r, 200));
      const task = await other.db.transaction((tx) =>
        enqueueTask(tx, { siteId: site.id, siteCode: site.code, kind: "site_inventory", payload: {}, actor: hub }),
      );
      await expect(waiting).resolves.toMatchObject({ taskId: task.id, attempt: 1 });
    } finally {
      await closeChangeFeed(other.db);
      await other.pool.end();
    }
  });

  it("leases the claims a round wakes together in one append to the audit chain, each site its own task", async () => {
    const db = testDb.db();
    const sites = await Promise.all(Array.from({ length: 8 }, (_, i) => makeSite(db, `QW${i}`)));
    // One site runs two workers: its two claims get two different tasks.
    const claims = [...sites, sites[0]!].map((site) => ({ site, claim: claimTask(db, site, { waitMs: 20_000 }) }));
    await new Promise((r) => setTimeout(r, 200));
    const queued = await testDb.db().transaction(async (tx) => {
      const tasks = [];
      for (const site of [...sites, sites[0]!])
        tasks.push(
          await enqueueTask(tx, {
            siteId: site.id,
            siteCode: site.code,
            kind: "site_inventory",
            payload: {},
            actor: hub,
          }),
        );
      return tasks;
    });
    const leased = await Promise.all(claims.map(async ({ site, claim }) => ({ site, task: (await claim)! })));
    expect(new Set(leased.map((l) => l.task.taskId)).size).toBe(9);
    for (const { site, task } of leased)
      expect(queued.find((q) => q.id === task.taskId)?.siteId, `${site.code} got another site's task`).toBe(site.id);
    const subjects = new Set(leased.map((l) => `task:${l.task.taskId}`));
    const events = (
      await db.select().from(auditEvents).where(eq(auditEvents.action, "task.leased")).orderBy(auditEvents.seq)
    ).filter((e) => subjects.has(e.subject));
    expect(events).toHaveLength(9);
    // The eight sites woken together were leased in one transaction: one timestamp for all eight.
    const largestBatch = Math.max(...events.map((e) => events.filter((o) => o.at.getTime() === e.at.getTime()).length));
    expect(largestBatch).toBeGreaterThanOrEqual(8);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: await auditCount() });
  });

  it("gives each site leased in one batch its own signed decision on the revision", async () => {
    const db = testDb.db();
    const scene = await createSignedApprovalScene(db, ["GV1", "GV2", "GV3"]);
    const revision = await scene.approveSigned();
    // Waiting before the tasks exist, so the run's tasks wake all three claims in one batch (half a
    // second for each claim's first look at the queue, on a loaded machine too).
    const claims = scene.sites.map((site) => claimTask(db, site, { waitMs: 20_000 }));
    await new Promise((r) => setTimeout(r, 500));
    const taskIds = await scene.runApprovedCount();
    const leased = await Promise.all(claims);
    expect(leased.map((t) => t?.taskId)).toEqual([taskIds.GV1, taskIds.GV2, taskIds.GV3]);
    scene.sites.forEach((site, i) => {
      expect(leased[i]?.governance, site.code).toMatchObject({
        revisionId: revision.id,
        bundleHash: revision.bundleHash,
        approval: { decision: "approved", keyFingerprint: parsePublicKey(site.authenticator.spkiBase64).fingerprint },
      });
    });
    // Governance travels untyped (the site parses it); the bundle is the revision's one canonical JSON.
    const bundles = leased.map((t) => (t?.governance as { bundleJson?: string } | undefined)?.bundleJson);
    expect(bundles[0]).toEqual(expect.stringContaining("{"));
    expect(new Set(bundles).size).toBe(1);
    const subjects = new Set(leased.map((t) => `task:${t?.taskId}`));
    const events = (await db.select().from(auditEvents).where(eq(auditEvents.action, "task.leased"))).filter((e) =>
      subjects.has(e.subject),
    );
    expect(new Set(events.map((e) => e.at.getTime())).size, "the three claims were leased in one batch").toBe(1);
  });

  it("returns null when the wait ends with nothing queued", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QE");
    await expect(claimTask(db, site, { waitMs: 300 })).resolves.toBeNull();
  });

  it("finds nothing queued with one read and no transaction, and leases only the sites with work", async () => {
    const db = testDb.db();
    const [idle, busy] = [await makeSite(db, "QI"), await makeSite(db, "QJ")];
    const queued = await enqueue(busy);
    const transaction = vi.spyOn(db, "transaction");
    try {
      // An idle site's worker asks at the start and the end of every long poll: that must stay cheap.
      await expect(claimTask(db, idle, { waitMs: 0 })).resolves.toBeNull();
      expect(transaction).not.toHaveBeenCalled();
      const [none, leased] = await Promise.all([
        claimTask(db, idle, { waitMs: 0 }),
        claimTask(db, busy, { waitMs: 0 }),
      ]);
      expect(none).toBeNull();
      expect(leased?.taskId).toBe(queued.id);
      expect(transaction).toHaveBeenCalledTimes(1);
    } finally {
      transaction.mockRestore();
    }
  });

  it("completes once; duplicate, late and foreign submissions change nothing", async () => {
    const db = testDb.db();
    const [site, stranger] = [await makeSite(db, "QC"), await makeSite(db, "QX")];
    await enqueue(site);
    const lease = (await leaseNextTask(db, site))!;
    await expect(completeTask(db, stranger, { ...lease, result: inventory })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await completeTask(db, site, { ...lease, result: inventory });
    const before = await auditCount();
    await expect(completeTask(db, site, { ...lease, result: inventory })).rejects.toThrow(
      "This task was already completed; a repeated submission is not accepted. Nothing was changed.",
    );
    expect(await auditCount()).toBe(before);
    const [row] = await db.select().from(siteTasks).where(eq(siteTasks.id, lease.taskId));
    expect(row).toMatchObject({ status: "done", attempt: 1, result: inventory });
  });

  it("refuses a result from a lease that expired and was handed out again", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QL");
    await enqueue(site, { leaseMs: 50 });
    const stale = (await leaseNextTask(db, site))!;
    await new Promise((r) => setTimeout(r, 120));
    expect(await sweepExpiredTasks(db)).toMatchObject({ requeued: 1, failed: 0 });
    await db.update(siteTasks).set({ leaseMs: 60_000 }).where(eq(siteTasks.id, stale.taskId));
    const fresh = (await leaseNextTask(db, site))!;
    expect(fresh.attempt).toBe(2);
    await expect(completeTask(db, site, { ...stale, result: inventory })).rejects.toThrow(
      "Your lease on this task expired and the task was handed out again.",
    );
    await completeTask(db, site, { ...fresh, result: inventory });
  });

  it("fails a task whose leases keep expiring once attempts are used up", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QM");
    const task = await enqueue(site, { leaseMs: 20, maxAttempts: 2 });
    for (let i = 0; i < 2; i++) {
      expect(await leaseNextTask(db, site)).not.toBeNull();
      await new Promise((r) => setTimeout(r, 60));
      await sweepExpiredTasks(db);
    }
    const [row] = await db.select().from(siteTasks).where(eq(siteTasks.id, task.id));
    expect(row).toMatchObject({ status: "failed", attempt: 2, failureCode: "lease_expired" });
  });

  it("requeues a retryable failure and fails a permanent one with its reason", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QF");
    await enqueue(site);
    let lease = (await leaseNextTask(db, site))!;
    await expect(
      failTask(db, site, { ...lease, code: "handler_error", message: "database busy", retryable: true }),
    ).resolves.toEqual({ status: "queued" });
    lease = (await leaseNextTask(db, site))!;
    await failTask(db, site, {
      ...lease,
      code: "refused_by_site_policy",
      message: "site_inventory is not allowed",
      retryable: false,
    });
    const [row] = await db.select().from(siteTasks).where(eq(siteTasks.id, lease.taskId));
    expect(row).toMatchObject({
      status: "failed",
      failureCode: "refused_by_site_policy",
      failureMessage: "site_inventory is not allowed",
    });
  });

  it("renews a lease on progress and gives back a released task without using an attempt", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QR");
    await enqueue(site);
    const lease = (await leaseNextTask(db, site))!;
    const renewed = await renewLease(db, site, { ...lease, percent: 40, message: "counting" });
    expect(renewed.leaseExpiresAt.getTime()).toBeGreaterThanOrEqual(lease.leaseExpiresAt.getTime());
    await releaseTask(db, site, lease);
    const again = (await leaseNextTask(db, site))!;
    expect(again).toMatchObject({ taskId: lease.taskId, attempt: 1 });
  });

  it("refuses an inventory whose counts are not rounded as the result says, so exact figures cannot slip out", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QRND");
    await enqueue(site);
    const lease = (await leaseNextTask(db, site))!;
    const before = await auditCount();
    await expect(completeTask(db, site, { ...lease, result: { ...inventory, persons: 123 } })).rejects.toThrow(
      "Result refused: a count is not rounded to the stated multiple of 5. Nothing was changed.",
    );
    expect(await auditCount()).toBe(before);
  });

  it("refuses an inventory that shows a cell below the threshold", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "QP");
    await enqueue(site);
    const lease = (await leaseNextTask(db, site))!;
    const before = await auditCount();
    await expect(
      completeTask(db, site, { ...lease, result: { ...inventory, imagesByModality: { CT: 3 } } }),
    ).rejects.toThrow("Result refused: a count below the threshold 10 was not suppressed. Nothing was changed.");
    expect(await auditCount()).toBe(before);
    const [row] = await db
      .select({ status: siteTasks.status })
      .from(siteTasks)
      .where(and(eq(siteTasks.id, lease.taskId)));
    expect(row!.status).toBe("leased");
  });
});

describe("leases a site's worker does not hold", () => {
  const beat = (tasksInFlight: string[]) => ({
    workerVersion: "1.2.3",
    capabilities: { tfjsBackend: "wasm", gpu: null, cpuCount: 2, memoryMb: 4096 },
    utilisation: { cpuPercent: 10, memoryPercent: 40 },
    tasksInFlight,
    selfChecks: [],
  });
  /** As if leased `seconds` ago. */
  const age = (taskId: string, seconds: number) =>
    testDb
      .db()
      .update(siteTasks)
      .set({ leasedAt: sql`now() - make_interval(secs => ${seconds})` })
      .where(eq(siteTasks.id, taskId));
  const rowOf = async (taskId: string) =>
    (await testDb.db().select().from(siteTasks).where(eq(siteTasks.id, taskId)))[0]!;

  it("go back to the queue once a heartbeat leaves them out 30 s after the lease; listed, younger and other sites' leases stay", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "UL");
    const other = await makeSite(db, "UO");
    await recordHeartbeat(db, site, beat([])); // the first: its inventory task is queued
    const lost = (await leaseNextTask(db, site))!; // the claim whose answer never reached the worker
    await enqueue(site);
    const held = (await leaseNextTask(db, site))!;
    await enqueue(site);
    const young = (await leaseNextTask(db, site))!;
    await enqueue(other);
    const othersLease = (await leaseNextTask(db, other))!;
    for (const t of [lost, held, othersLease]) await age(t.taskId, UNLISTED_LEASE_GRACE_SECONDS + 5);
    await age(young.taskId, UNLISTED_LEASE_GRACE_SECONDS - 10);

    await recordHeartbeat(db, site, beat([held.taskId]));

    expect(await rowOf(lost.taskId)).toMatchObject({
      status: "queued",
      attempt: 1,
      failureCode: "lease_abandoned",
      failureMessage:
        "The site's worker no longer held this task: its heartbeat did not list it 30 s after the lease (the claim's answer was lost, or the worker restarted) (attempt 1 of 3)",
    });
    for (const t of [held, young, othersLease]) expect((await rowOf(t.taskId)).status).toBe("leased");
    const [audited] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "task.lease_abandoned"), eq(auditEvents.subject, `task:${lost.taskId}`)));
    expect(audited).toMatchObject({ actorType: "site", actorLabel: "UL" });
    // The worker's next claim gets it, on a lease it knows; the lost lease is refused.
    const again = (await leaseNextTask(db, site))!;
    expect(again).toMatchObject({ taskId: lost.taskId, attempt: 2 });
    await expect(completeTask(db, site, { ...lost, result: inventory })).rejects.toThrow();
  });

  it("count the attempt: a task its worker keeps losing fails once the attempts are used up", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "UF");
    await recordHeartbeat(db, site, beat([]));
    const [inventoryTask] = await db.select().from(siteTasks).where(eq(siteTasks.siteId, site.id));
    await db.update(siteTasks).set({ maxAttempts: 2 }).where(eq(siteTasks.id, inventoryTask!.id));
    for (let i = 0; i < 2; i++) {
      const lease = (await leaseNextTask(db, site))!;
      await age(lease.taskId, UNLISTED_LEASE_GRACE_SECONDS + 1);
      await recordHeartbeat(db, site, beat([]));
    }
    expect(await rowOf(inventoryTask!.id)).toMatchObject({
      status: "failed",
      attempt: 2,
      failureCode: "lease_abandoned",
    });
  });

  it("are left alone when the heartbeat lists as many tasks as the contract allows: the worker may hold more", async () => {
    const db = testDb.db();
    const site = await makeSite(db, "UM");
    await recordHeartbeat(db, site, beat([]));
    const lease = (await leaseNextTask(db, site))!;
    await age(lease.taskId, UNLISTED_LEASE_GRACE_SECONDS + 60);
    const full = Array.from({ length: MAX_TASKS_IN_FLIGHT_LISTED }, () => randomUUID());
    await recordHeartbeat(db, site, beat(full));
    expect((await rowOf(lease.taskId)).status).toBe("leased");
  });
});
