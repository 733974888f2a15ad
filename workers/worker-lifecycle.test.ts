import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { siteHealth } from "@/db/schema";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { sweepExpiredTasks } from "@/server/tasks/lease-sweep";
import { cancelTask } from "@/server/tasks/task-interventions";
import {
  ADMIN,
  makeSiteWithToken,
  queueInventory,
  tasksOfSite,
  waitFor,
  waitForTask,
} from "./test-support/hub-fixture";
import { createOmopFixture, FIXTURE_INVENTORY_AT_5, type OmopFixture } from "./test-support/omop-fixture";
import { useWorkerFleet } from "./test-support/worker-fleet";

/** Real worker processes against the real hub router over HTTP: the life of a task at a Trust. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
let fast: OmopFixture;
let slow: OmopFixture;
const { startWorker } = useWorkerFleet(testDb.db);

beforeAll(async () => {
  [fast, slow] = await Promise.all([createOmopFixture(adminUrl), createOmopFixture(adminUrl, { isSlow: true })]);
});
afterAll(async () => {
  await Promise.all([fast?.drop(), slow?.drop()]);
});

describe("a site worker process", () => {
  test(
    "reports its health, runs the hub's first inventory, logs structured lines, and exits 0 on SIGTERM while idle",
    { timeout: 60_000 },
    async () => {
      const db = testDb.db();
      const { site, token } = await makeSiteWithToken(db, "KCH");
      const worker = startWorker(token, "KCH", fast);
      const task = await waitForTask(db, site.id, (t) => t.status === "done", "the first inventory to complete");
      expect(task.result).toEqual(FIXTURE_INVENTORY_AT_5);
      expect(task.attempt).toBe(1);

      const [health] = await db.select().from(siteHealth).where(eq(siteHealth.siteId, site.id));
      expect(health!.workerVersion).toBe("0.1.0");
      expect(health!.selfChecks).toEqual([
        { name: "site_database", ok: true },
        {
          name: "omop_schema",
          ok: true,
          message: expect.stringMatching(/^OMOP CDM 5\.4; \d+ recommended indexes missing/),
        },
        { name: "data_dir", ok: true },
      ]);
      expect(health!.capabilities).toMatchObject({ cpuCount: expect.any(Number), memoryMb: expect.any(Number) });

      const completed = await worker.waitForLog((l) => l.msg === "Task completed");
      expect(completed).toMatchObject({
        level: "info",
        taskId: task.id,
        attempt: 1,
        kind: "site_inventory",
        site: "KCH",
        time: expect.any(String),
      });
      expect(worker.output()).not.toContain(token);

      worker.child.kill("SIGTERM");
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      expect((await tasksOfSite(db, site.id)).filter((t) => t.status === "leased")).toEqual([]);
    },
  );

  test("refuses a task kind its policy file does not allow, and the hub shows why", { timeout: 60_000 }, async () => {
    const db = testDb.db();
    const { site, token } = await makeSiteWithToken(db, "GSTT");
    startWorker(token, "GSTT", fast, { policy: { allowedTaskKinds: [] } });
    const task = await waitForTask(db, site.id, (t) => t.status === "failed", "the inventory to be refused");
    expect(task).toMatchObject({
      failureCode: "refused_by_site_policy",
      failureMessage: "This site does not run 'site_inventory' tasks (allowedTaskKinds in its site policy).",
      attempt: 1,
      result: null,
    });
  });

  test(
    "a worker killed mid-task: the task is re-leased after the lease expires and completes; at max attempts it fails as lease_expired",
    { timeout: 90_000 },
    async () => {
      const db = testDb.db();
      const { site, token } = await makeSiteWithToken(db, "NUTH", { skipFirstInventory: true });
      await slow.setDelaySeconds(3);
      const first = startWorker(token, "NUTH", slow);
      const retried = await queueInventory(db, site, { leaseMs: 1500, maxAttempts: 2 });
      await waitForTask(db, site.id, (t) => t.id === retried.id && t.status === "leased", "the first lease");
      first.child.kill("SIGKILL");
      await first.exited;

      const requeued = await waitFor(async () => {
        await sweepExpiredTasks(db);
        return (await tasksOfSite(db, site.id)).find((t) => t.id === retried.id && t.status === "queued");
      }, "the expired lease to be swept");
      expect(requeued).toMatchObject({ attempt: 1, failureCode: "lease_expired" });

      // The replacement renews its 1.5 s lease while the 3 s query runs, so it keeps the task.
      const second = startWorker(token, "NUTH", slow);
      const done = await waitForTask(
        db,
        site.id,
        (t) => t.id === retried.id && t.status === "done",
        "the retried task to complete",
      );
      expect(done).toMatchObject({ attempt: 2, result: FIXTURE_INVENTORY_AT_5 });

      const lastChance = await queueInventory(db, site, { leaseMs: 1500, maxAttempts: 1 });
      await waitForTask(db, site.id, (t) => t.id === lastChance.id && t.status === "leased", "the last-chance lease");
      second.child.kill("SIGKILL");
      await second.exited;
      const failed = await waitFor(async () => {
        await sweepExpiredTasks(db);
        return (await tasksOfSite(db, site.id)).find((t) => t.id === lastChance.id && t.status === "failed");
      }, "the task to fail at max attempts");
      expect(failed).toMatchObject({ attempt: 1, failureCode: "lease_expired", result: null });
    },
  );

  test(
    "a task the hub cancels is stopped on the next heartbeat, and the worker takes new work",
    { timeout: 60_000 },
    async () => {
      const db = testDb.db();
      const { site, token } = await makeSiteWithToken(db, "ROYAL", { skipFirstInventory: true });
      await slow.setDelaySeconds(30);
      const worker = startWorker(token, "ROYAL", slow);
      const doomed = await queueInventory(db, site);
      await waitForTask(db, site.id, (t) => t.id === doomed.id && t.status === "leased", "the task to be leased");
      await cancelTask(db, ADMIN, { taskId: doomed.id });
      await worker.waitForLog((l) => l.msg === "Task cancelled by the hub; stopping it" && l.taskId === doomed.id);
      await slow.setDelaySeconds(0);
      const next = await queueInventory(db, site);
      const done = await waitForTask(
        db,
        site.id,
        (t) => t.id === next.id && t.status === "done",
        "the next task to complete",
      );
      expect(done.result).toEqual(FIXTURE_INVENTORY_AT_5);
      expect((await tasksOfSite(db, site.id)).find((t) => t.id === doomed.id)).toMatchObject({ status: "cancelled" });
    },
  );
});
