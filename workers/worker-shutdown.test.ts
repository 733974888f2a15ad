import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { auditEvents } from "@/db/schema";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { makeSiteWithToken, queueInventory, tasksOfSite, waitForTask } from "./test-support/hub-fixture";
import { createOmopFixture, type OmopFixture } from "./test-support/omop-fixture";
import { useWorkerFleet } from "./test-support/worker-fleet";

/** Real worker processes stopped by their supervisor (SIGTERM) while a task runs: no task is left leased. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
let slow: OmopFixture;
const { startWorker } = useWorkerFleet(testDb.db);

beforeAll(async () => {
  slow = await createOmopFixture(adminUrl, { isSlow: true });
});
afterAll(async () => {
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

  test(
    "SIGTERM mid-task past the grace period releases the task to the queue without using an attempt",
    { timeout: 60_000 },
    async () => {
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
      const released = await db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, "task.released"), eq(auditEvents.subject, `task:${queued.id}`)));
      expect(released).toHaveLength(1);
    },
  );
});
