import { and, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { auditEvents, siteTasks } from "@/db/schema";
import { snapshotTables } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { sweepExpiredTasks } from "@/server/tasks/lease-sweep";
import { enqueueTask } from "@/server/tasks/tasks.service";
import { createHubClient, HubError, type HubClient } from "./hub-client";
import { createLogger } from "./log";
import type { LeasedTask, SiteInventoryResult } from "@/protocol/contract";
import { ADMIN, makeSiteWithToken, queueInventory, waitFor } from "./test-support/hub-fixture";
import { asReleased } from "./test-support/released";

/** The protocol under contention, through the worker's own HTTP client against the real hub. */
const testDb = useTestDatabase();
let hub: { url: string; close: () => Promise<void> };
const quiet = createLogger({}, { write: () => undefined });
const RESULT = asReleased<SiteInventoryResult>({
  threshold: 10,
  rounding: 5,
  persons: "suppressed",
  observationYears: "suppressed",
  imagesByModality: {},
  topConditions: [],
});

const clientFor = (token: string) => createHubClient({ trpcUrl: `${hub.url}/api/trpc`, token, log: quiet });

async function rejectionOf(call: Promise<unknown>): Promise<HubError> {
  const error = await call.then(
    () => new Error("expected the hub to refuse the call"),
    (e: unknown) => e,
  );
  if (!(error instanceof HubError)) throw error;
  return error;
}

beforeAll(async () => {
  hub = await startHubServer(testDb.db());
});
afterAll(async () => {
  await hub?.close();
});

describe("the task queue under concurrent claimers", () => {
  test(
    "200 tasks across 3 sites with 20 claimers: each done exactly once, and only by its own site",
    { timeout: 90_000 },
    async () => {
      const db = testDb.db();
      const sites = await Promise.all(
        ["Q1", "Q2", "Q3"].map((code) => makeSiteWithToken(db, code, { skipFirstInventory: true })),
      );
      const queued = new Map<string, string>();
      await db.transaction(async (tx) => {
        for (let i = 0; i < 200; i++) {
          const { site } = sites[i % 3]!;
          const task = await enqueueTask(tx, {
            siteId: site.id,
            siteCode: site.code,
            kind: "site_inventory",
            payload: {},
            actor: ADMIN,
          });
          queued.set(task.id, site.id);
        }
      });
      const completedBy = new Map<string, string[]>();
      const claimer = async (siteId: string, client: HubClient) => {
        for (;;) {
          const task = await client.claim(500);
          if (!task) return;
          await client.complete({ taskId: task.taskId, leaseId: task.leaseId, result: RESULT });
          completedBy.set(task.taskId, [...(completedBy.get(task.taskId) ?? []), siteId]);
        }
      };
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => sites[i % 3]!).map(({ site, token }) =>
          claimer(site.id, clientFor(token)),
        ),
      );

      expect(completedBy.size).toBe(200);
      for (const [taskId, siteIds] of completedBy) expect(siteIds).toEqual([queued.get(taskId)]);
      const rows = await db
        .select()
        .from(siteTasks)
        .where(inArray(siteTasks.id, [...queued.keys()]));
      expect(rows.map((r) => [r.status, r.attempt, r.siteId === queued.get(r.id)])).toEqual(
        rows.map(() => ["done", 1, true]),
      );
      const events = await db.select().from(auditEvents).where(eq(auditEvents.action, "task.completed"));
      expect(events).toHaveLength(200);
      for (const event of events) expect(event.actorId).toBe(queued.get(event.subject.replace("task:", "")));
    },
  );
});

describe("completions the hub must refuse", () => {
  let client: HubClient;
  let foreign: HubClient;
  let site: { id: string; code: string };

  beforeAll(async () => {
    const db = testDb.db();
    const own = await makeSiteWithToken(db, "R1", { skipFirstInventory: true });
    const other = await makeSiteWithToken(db, "R2", { skipFirstInventory: true });
    site = own.site;
    client = clientFor(own.token);
    foreign = clientFor(other.token);
    // A token's first call stamps its last use; do that now so the snapshots below compare like with like.
    await Promise.all([client.claim(0), foreign.claim(0)]);
  });

  /** Asserts the call is refused with exactly `message` and that no table changed, audit log included. */
  async function expectRefusedWithoutChange(call: () => Promise<unknown>, kind: HubError["kind"], message: string) {
    const db = testDb.db();
    const before = await snapshotTables(db);
    const error = await rejectionOf(call());
    expect({ kind: error.kind, message: error.message }).toEqual({ kind, message });
    expect(await snapshotTables(db)).toEqual(before);
  }

  async function claimOne(from: HubClient = client): Promise<LeasedTask> {
    const task = await from.claim(2_000);
    if (!task) throw new Error("expected a task");
    return task;
  }

  test("a duplicate completion", async () => {
    await queueInventory(testDb.db(), site);
    const task = await claimOne();
    await client.complete({ taskId: task.taskId, leaseId: task.leaseId, result: RESULT });
    await expectRefusedWithoutChange(
      () => client.complete({ taskId: task.taskId, leaseId: task.leaseId, result: RESULT }),
      "conflict",
      "This task was already completed; a repeated submission is not accepted. Nothing was changed.",
    );
  });

  test(
    "a late completion after the lease expired, before and after the task was handed out again",
    { timeout: 30_000 },
    async () => {
      const db = testDb.db();
      const queued = await queueInventory(db, site, { leaseMs: 1500 });
      const stale = await claimOne();
      await waitFor(async () => {
        await sweepExpiredTasks(db);
        const [row] = await db
          .select()
          .from(siteTasks)
          .where(and(eq(siteTasks.id, queued.id), eq(siteTasks.status, "queued")));
        return row;
      }, "the lease to expire");
      await expectRefusedWithoutChange(
        () => client.complete({ taskId: stale.taskId, leaseId: stale.leaseId, result: RESULT }),
        "conflict",
        "Your lease on this task expired and it went back to the queue. Nothing was changed.",
      );
      const fresh = await claimOne();
      expect(fresh).toMatchObject({ taskId: stale.taskId, attempt: 2 });
      await expectRefusedWithoutChange(
        () => client.complete({ taskId: stale.taskId, leaseId: stale.leaseId, result: RESULT }),
        "conflict",
        "Your lease on this task expired and the task was handed out again. Nothing was changed.",
      );
      await client.complete({ taskId: fresh.taskId, leaseId: fresh.leaseId, result: RESULT });
    },
  );

  test("a completion from another site's token", async () => {
    await queueInventory(testDb.db(), site);
    const task = await claimOne();
    await expectRefusedWithoutChange(
      () => foreign.complete({ taskId: task.taskId, leaseId: task.leaseId, result: RESULT }),
      "not_found",
      `No task ${task.taskId} belongs to site R2.`,
    );
    await client.complete({ taskId: task.taskId, leaseId: task.leaseId, result: RESULT });
  });

  test("a result with an unsuppressed small count is refused by the hub's own check", async () => {
    await queueInventory(testDb.db(), site);
    const task = await claimOne();
    await expectRefusedWithoutChange(
      () =>
        client.complete({ taskId: task.taskId, leaseId: task.leaseId, result: asReleased({ ...RESULT, persons: 3 }) }),
      "rejected",
      "Result refused: a count below the threshold 10 was not suppressed. Nothing was changed.",
    );
    await client.release({ taskId: task.taskId, leaseId: task.leaseId });
  });
});
