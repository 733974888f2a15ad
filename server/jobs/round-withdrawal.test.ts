import { and, eq } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { jobEvents, jobTasks, roleGrants, siteApprovals, siteTasks } from "@/db/schema";
import { withdrawApproval } from "@/server/approvals/withdraw.service";
import { viewerOf } from "@/server/lib/test-support/fixtures";
import {
  leaseFor,
  rounds,
  sites,
  startJob,
  upload,
  useRoundHarness,
  withValue,
} from "@/server/lib/test-support/round-harness";
import { leaseNextTask } from "@/server/tasks/leasing";
import { advanceJobs } from "./job-coordinator";

const testDb = useRoundHarness();

describe("a site withdrawing its approval during a training job", () => {
  test("its running task is cancelled, the round closes on the other sites and the next round goes only to them", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db);
    const [kch, gstt, uclh] = sites as [(typeof sites)[number], (typeof sites)[number], (typeof sites)[number]];
    const running = await leaseFor(db, kch);

    const [grant] = await db.select().from(roleGrants).where(eq(roleGrants.siteId, kch.id));
    const [approval] = await db
      .select({ id: siteApprovals.id })
      .from(siteApprovals)
      .where(and(eq(siteApprovals.siteId, kch.id), eq(siteApprovals.status, "approved")));
    await withdrawApproval(db, await viewerOf(db, grant!.userId), {
      siteId: kch.id,
      approvalId: approval!.id,
      reason: "Our DPO paused this project.",
    });

    // The update it was computing is no longer accepted.
    await expect(
      upload(
        db,
        running,
        withValue(running.global, () => 0.1),
        10,
      ),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    for (const site of [gstt, uclh]) {
      const lease = await leaseFor(db, site);
      await upload(
        db,
        lease,
        withValue(lease.global, () => 0.1),
        10,
      );
    }
    await advanceJobs(db);

    const [first, second] = await rounds(db, jobId);
    expect(first).toMatchObject({ status: "closed" });
    expect(second).toMatchObject({ number: 2, status: "open", expectedSites: 2 });
    const roundTwo = await db
      .select({ siteId: jobTasks.siteId })
      .from(jobTasks)
      .innerJoin(siteTasks, eq(siteTasks.id, jobTasks.taskId))
      .where(and(eq(jobTasks.jobId, jobId), eq(jobTasks.round, 2)));
    expect(roundTwo.map((t) => t.siteId).sort()).toEqual([gstt.id, uclh.id].sort());
    expect(await leaseNextTask(db, kch)).toBeNull();
    const skipped = await db
      .select({ round: jobEvents.round, siteCode: jobEvents.siteCode })
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, jobId), eq(jobEvents.type, "site_skipped")));
    expect(skipped).toEqual([{ round: 2, siteCode: kch.code }]);
  });
});
