import { and, eq, isNotNull, sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { jobEvents, jobs, modelVersions, roundUpdates, siteTasks, trainingRounds } from "@/db/schema";
import { snapshotTables } from "@/server/lib/test-support/fixtures";
import { RELEASE_STATEMENT, RELEASED_SPLIT, trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { downloadModelVersion } from "@/server/models/model-download";
import { insertVersion } from "@/server/models/model-versions";
import { leaseNextTask } from "@/server/tasks/leasing";
import { completeTask, failTask } from "@/server/tasks/tasks.service";
import { advanceJobs } from "./job-coordinator";
import { cancelJob, createTrainJob } from "./jobs.service";
import {
  leaseFor,
  metrics,
  researcher,
  rounds,
  sites,
  startJob,
  upload,
  useRoundHarness,
  versionWeights,
  withValue,
} from "@/server/lib/test-support/round-harness";

const testDb = useRoundHarness();

describe("a job's rounds from first to last", () => {
  test("FedAdam carries its moments from round to round in the version's optimizer state", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, {
      strategy: { kind: "fedadam", serverLr: 0.1, beta1: 0.9, beta2: 0.99, tau: 0.001 },
    });
    for (let round = 1; round <= 2; round++) {
      const leases = await Promise.all(sites.map((s) => leaseFor(db, s)));
      for (const lease of leases)
        await upload(
          db,
          lease,
          withValue(lease.global, () => 0.2),
          10,
        );
    }
    const [r1, r2] = await rounds(db, jobId);
    const v1 = await versionWeights(db, r1!.resultVersionId!);
    const v2 = await versionWeights(db, r2!.resultVersionId!);
    const start = await versionWeights(db, r1!.globalVersionId);
    // Round 1: m = 0.02, v = 0.0004 -> step 0.1 * 0.02 / (0.02 + 0.001); round 2: m = 0.038, v = 0.000796.
    const step1 = (0.1 * 0.02) / (Math.sqrt(0.0004) + 0.001);
    const step2 = (0.1 * 0.038) / (Math.sqrt(0.000796) + 0.001);
    expect(v1.tensors[0]!.data[0]).toBeCloseTo(start.tensors[0]!.data[0]! + step1, 5);
    expect(v2.tensors[0]!.data[0]).toBeCloseTo(start.tensors[0]!.data[0]! + step1 + step2, 5);
    expect(v2.version.optimizerStateSha256).not.toBeNull();
  });

  test("training further from a trained version keeps the held-out split of the job that trained it", async () => {
    const db = testDb.db();
    const { jobId, projectId } = await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    });
    for (const lease of await Promise.all(sites.map((s) => leaseFor(db, s))))
      await upload(
        db,
        lease,
        withValue(lease.global, () => 0.01),
        10,
      );
    const [round] = await rounds(db, jobId);
    const next = await createTrainJob(
      db,
      researcher,
      trainJobInput(
        { projectId, versionId: round!.resultVersionId! },
        sites.map((s) => s.id),
      ),
    );
    const seeds = await db
      .select({ id: jobs.id, split: sql<string>`${jobs.config} -> 'split' ->> 'seed'` })
      .from(jobs)
      .where(sql`${jobs.id} IN (${jobId}, ${next.id})`);
    expect(new Set(seeds.map((s) => s.split)).size).toBe(1);
  });

  test("an evaluation still running at its deadline is dropped and the others are pooled", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    });
    for (const lease of await Promise.all(sites.map((s) => leaseFor(db, s))))
      await upload(
        db,
        lease,
        withValue(lease.global, () => 0.01),
        10,
      );
    const evaluations = await Promise.all(
      sites.map(async (site) => ({ site, task: (await leaseNextTask(db, site))! })),
    );
    for (const { site, task } of evaluations.slice(0, 2)) {
      await completeTask(db, site, {
        taskId: task.taskId,
        leaseId: task.leaseId,
        result: { ...RELEASE_STATEMENT, ...RELEASED_SPLIT, metrics, backend: "wasm" },
      });
    }
    expect(await advanceJobs(db)).toBe(0);
    await db
      .update(siteTasks)
      .set({ deadlineAt: sql`now() - interval '1 second'` })
      .where(eq(siteTasks.id, evaluations[2]!.task.taskId));
    expect(await advanceJobs(db)).toBe(1);
    const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(job).toMatchObject({ status: "completed" });
    const [late] = await db.select().from(siteTasks).where(eq(siteTasks.id, evaluations[2]!.task.taskId));
    expect(late).toMatchObject({ status: "cancelled", failureMessage: "No evaluation by the deadline." });
    expect((await versionWeights(db, job!.latestVersionId!)).version.metrics).toMatchObject({
      validation: { sites: 2, examples: 60 },
    });
  });

  test("cancelling a job stops its open tasks and its round", async () => {
    const db = testDb.db();
    const { jobId, projectId } = await startJob(db);
    const a = await leaseFor(db, sites[0]!);
    await cancelJob(db, researcher, { projectId, jobId });
    const tasks = await db
      .select({ status: siteTasks.status })
      .from(siteTasks)
      .where(sql`${siteTasks.id} IN (SELECT task_id FROM job_tasks WHERE job_id = ${jobId})`);
    expect(tasks.map((t) => t.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect((await rounds(db, jobId))[0]).toMatchObject({ status: "cancelled" });
    await expect(
      upload(
        db,
        a,
        withValue(a.global, () => 0),
        10,
      ),
    ).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(cancelJob(db, researcher, { projectId, jobId })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "This job already ended as cancelled; there is nothing to cancel.",
    });
  });
});

describe("no round writes one site's update as a version", () => {
  test.each(["dropouts", "deadline"] as const)(
    "a round that closes (%s) with one update fails the job, says why and writes no version, even for a job that stored a minimum of 1",
    async (closedBy) => {
      const db = testDb.db();
      const { jobId } = await startJob(db);
      // As a job started before the floor could have stored it.
      await db
        .update(jobs)
        .set({ config: sql`jsonb_set(${jobs.config}, '{participation,minSites}', '1')` })
        .where(eq(jobs.id, jobId));
      const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
      await upload(
        db,
        a!,
        withValue(a!.global, () => 0.3),
        40,
      );
      if (closedBy === "dropouts")
        for (const lease of [b!, c!])
          await failTask(db, lease.site, {
            taskId: lease.task.taskId,
            leaseId: lease.task.leaseId,
            code: "handler_error",
            message: "worker killed",
            retryable: false,
          });
      else
        await db
          .update(trainingRounds)
          .set({ deadlineAt: sql`now() - interval '1 second'` })
          .where(eq(trainingRounds.jobId, jobId));
      expect(await advanceJobs(db)).toBe(1);

      const why = `Round 1: 1 of the 3 sites returned an update ${closedBy === "deadline" ? "by the deadline" : "before the others dropped out"}; the job needs at least 2, so no new version was written.`;
      const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
      expect(job).toMatchObject({ status: "failed", error: why, latestVersionId: null });
      expect(await db.select().from(modelVersions).where(eq(modelVersions.jobId, jobId))).toEqual([]);
      expect(await rounds(db, jobId)).toMatchObject([{ status: "failed", resultVersionId: null }]);
      const failed = await db
        .select()
        .from(jobEvents)
        .where(and(eq(jobEvents.jobId, jobId), eq(jobEvents.type, "job_failed")));
      expect(failed).toMatchObject([{ details: { message: why } }]);
      // The one update is not kept either.
      const [round] = await rounds(db, jobId);
      expect(
        await db
          .select()
          .from(roundUpdates)
          .where(and(eq(roundUpdates.roundId, round!.id), isNotNull(roundUpdates.updateSha256))),
      ).toEqual([]);
    },
  );

  test("a version aggregated from one site's update (written before the floor) cannot be downloaded", async () => {
    const db = testDb.db();
    const { projectId, versionId, modelId } = await startJob(db);
    const start = await versionWeights(db, versionId);
    const single = await db.transaction((tx) =>
      insertVersion(tx, {
        modelId,
        source: "training",
        weights: start.tensors,
        parentVersionId: versionId,
        lineage: {
          kind: "training",
          jobId: "00000000-0000-4000-8000-000000000000",
          round: 1,
          sites: [{ code: sites[0]!.code, examples: 40 }],
          expectedSites: [sites[0]!.code],
          revisionHash: "0".repeat(64),
          hyperparameters: {},
          strategy: { kind: "fedavg" },
          backends: {},
        },
      }),
    );
    const before = await snapshotTables(db);
    await expect(downloadModelVersion(db, researcher, { projectId, versionId: single.id })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: `v${single.number} was aggregated from one site's update, so its weights would show that update; it cannot be downloaded. Train with at least 2 sites per round.`,
    });
    expect(await snapshotTables(db)).toEqual(before);
  });
});
