import { and, eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import { auditEvents } from "@/db/schema";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { makeSiteWithToken, queueInventory, tasksOfSite, waitForTask } from "./test-support/hub-fixture";
import { createOmopFixture, type OmopFixture } from "./test-support/omop-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "./test-support/worker-process";

/** Real worker processes stopped by their supervisor (SIGTERM) while a task runs: no task is left leased. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
let hub: { url: string; close: () => Promise<void> };
let slow: OmopFixture;
const workers: WorkerProcess[] = [];

function startWorker(token: string, site: string, fixture: OmopFixture, extra: { policy?: Record<string, unknown>; env?: Record<string, string> } = {}) {
  const worker = spawnWorker({ hubUrl: hub.url, token, siteDatabaseUrl: fixture.url, policy: { site, minCellCount: 5, ...extra.policy }, env: extra.env });
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  hub = await startHubServer(testDb.db());
  slow = await createOmopFixture(adminUrl, { isSlow: true });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map(killWorker));
});
afterAll(async () => {
  await hub?.close();
  await slow?.drop();
});

describe("stopping a site worker mid-task", () => {
  test("SIGTERM mid-task lets the task finish within the grace period, then exits 0", { timeout: 60_000 }, async () => {
    const db = testDb.db();
    const { site, token } = await makeSiteWithToken(db, "UCLH", { skipFirstInventory: true });
    await slow.setDelaySeconds(2);
    const worker = startWorker(token, "UCLH", slow);
    const queued = await queueInventory(db, site);
    await waitForTask(db, site.id, (t) => t.id === queued.id && t.status === "leased", "the task to be leased");
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const [task] = await tasksOfSite(db, site.id);
    expect(task).toMatchObject({ status: "done", attempt: 1 });
  });

  test("SIGTERM mid-task past the grace period releases the task to the queue without using an attempt", { timeout: 60_000 }, async () => {
    const db = testDb.db();
    const { site, token } = await makeSiteWithToken(db, "LTH", { skipFirstInventory: true });
    await slow.setDelaySeconds(30);
    const worker = startWorker(token, "LTH", slow, { env: { FLIP_SHUTDOWN_GRACE_MS: "300" } });
    const queued = await queueInventory(db, site);
    await waitForTask(db, site.id, (t) => t.id === queued.id && t.status === "leased", "the task to be leased");
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const [task] = await tasksOfSite(db, site.id);
    expect(task).toMatchObject({ status: "queued", attempt: 0, leaseId: null });
    const released = await db.select().from(auditEvents).where(and(eq(auditEvents.action, "task.released"), eq(auditEvents.subject, `task:${queued.id}`)));
    expect(released).toHaveLength(1);
  });

});
