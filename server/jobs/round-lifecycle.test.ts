import { and, eq, isNotNull, sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { connectDatabase, type Database } from "@/db/client";
import { jobEvents, jobs, modelVersions, roundUpdates, siteTasks, trainingRounds } from "@/db/schema";
import { snapshotTables } from "@/server/lib/test-support/fixtures";
import { RELEASE_STATEMENT, RELEASED_SPLIT, trainJobInput } from "@/server/lib/test-support/training-fixtures";
import { downloadModelVersion } from "@/server/models/model-download";
import { insertVersion, insertVersionWritingAside } from "@/server/models/model-versions";
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

describe("a round's new model file", () => {
  const LINEAGE = {
    kind: "training" as const,
    jobId: "00000000-0000-4000-8000-000000000000",
    round: 1,
    sites: [],
    expectedSites: [],
    revisionHash: "0".repeat(64),
    hyperparameters: {},
    strategy: { kind: "fedavg" as const },
    backends: {},
  };

  /** Runs `body` with every row inserted into artifacts logged with the id of the transaction that inserted it. */
  async function loggingFileWrites(db: Database, body: () => Promise<void>) {
    await db.execute(sql`
      CREATE TABLE artifact_writes (sha256 text, xid xid8);
      CREATE FUNCTION log_artifact_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO artifact_writes VALUES (NEW.sha256, pg_current_xact_id()); RETURN NEW; END $$;
      CREATE TRIGGER log_artifact_write BEFORE INSERT ON artifacts FOR EACH ROW EXECUTE FUNCTION log_artifact_write();`);
    try {
      await body();
    } finally {
      await db.execute(sql`
        DROP TRIGGER log_artifact_write ON artifacts; DROP FUNCTION log_artifact_write(); DROP TABLE artifact_writes;`);
    }
  }

  /** Whether the version's weights file was committed by the transaction that inserted the version row. */
  async function isWrittenWithItsVersion(db: Database, versionId: string): Promise<boolean> {
    const result = await db.execute<{ same: boolean }>(sql`
      SELECT w.xid::text = v.xmin::text AS same FROM model_versions v
      JOIN artifact_writes w ON w.sha256 = v.weights_sha256 WHERE v.id = ${versionId}`);
    return result.rows[0]!.same;
  }

  test("a round's close writes its new version's file in a transaction of its own, committed before the close", async () => {
    const db = testDb.db();
    const { jobId, versionId } = await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    });
    await loggingFileWrites(db, async () => {
      for (const lease of await Promise.all(sites.map((s) => leaseFor(db, s))))
        await upload(
          db,
          lease,
          withValue(lease.global, () => 0.25),
          10,
        );
      const [round] = await rounds(db, jobId);
      expect(round).toMatchObject({ status: "closed" });
      expect(await isWrittenWithItsVersion(db, round!.resultVersionId!)).toBe(false);
      const start = await versionWeights(db, versionId);
      const next = await versionWeights(db, round!.resultVersionId!);
      expect(next.tensors[0]!.data[0]).toBeCloseTo(start.tensors[0]!.data[0]! + 0.25, 5);
    });
  });

  test("with no pooled connection free, the file is written in the version's own transaction", async () => {
    const { versionId, modelId } = await startJob(testDb.db());
    const start = await versionWeights(testDb.db(), versionId);
    const { db, pool } = connectDatabase(testDb.url(), { poolMax: 1 });
    try {
      await loggingFileWrites(db, async () => {
        const version = await db.transaction(async (tx) => {
          const { version, written } = await insertVersionWritingAside(db, tx, {
            modelId,
            source: "training",
            weights: withValue(start.tensors, () => 0.5),
            lineage: LINEAGE,
          });
          await written;
          return version;
        });
        expect(await isWrittenWithItsVersion(db, version.id)).toBe(true);
        expect((await versionWeights(db, version.id)).tensors[0]!.data[0]).toBe(0.5);
      });
    } finally {
      await pool.end();
    }
  });

  test("a version naming a file that was never stored is refused when its transaction commits", async () => {
    const db = testDb.db();
    const { modelId } = await startJob(db);
    const before = await snapshotTables(db);
    await expect(
      db.transaction(async (tx) => {
        await tx
          .insert(modelVersions)
          .values({ modelId, number: 99, source: "training", weightsSha256: "f".repeat(64), lineage: LINEAGE });
      }),
    ).rejects.toMatchObject({ cause: { constraint: "model_versions_weights_sha256_artifacts_sha256_fk" } });
    expect(await snapshotTables(db)).toEqual(before);
  });

  test("a close whose file cannot be stored changes nothing, and the round closes once it can", async () => {
    const db = testDb.db();
    const { jobId, versionId } = await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    });
    const leases = await Promise.all(sites.map((s) => leaseFor(db, s)));
    for (const lease of leases.slice(0, -1))
      await upload(
        db,
        lease,
        withValue(lease.global, () => 0.1),
        10,
      );
    await db.execute(sql`
      CREATE FUNCTION refuse_artifact() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'artifact store unavailable'; END $$;
      CREATE TRIGGER refuse_artifact BEFORE INSERT ON artifacts FOR EACH ROW EXECUTE FUNCTION refuse_artifact();`);
    try {
      const last = leases.at(-1)!;
      await expect(
        upload(
          db,
          last,
          withValue(last.global, () => 0.4),
          20,
        ),
      ).rejects.toMatchObject({ cause: { message: "artifact store unavailable" } });
      expect(await rounds(db, jobId)).toMatchObject([{ status: "open", resultVersionId: null }]);
      expect(await db.select().from(modelVersions).where(eq(modelVersions.jobId, jobId))).toEqual([]);
    } finally {
      await db.execute(sql`DROP TRIGGER refuse_artifact ON artifacts; DROP FUNCTION refuse_artifact();`);
    }
    expect(await advanceJobs(db)).toBe(1);
    const [round] = await rounds(db, jobId);
    expect(round).toMatchObject({ status: "closed" });
    const start = await versionWeights(db, versionId);
    const next = await versionWeights(db, round!.resultVersionId!);
    // Weighted by examples: (0.1 x 10 + 0.1 x 10 + 0.4 x 20) / 40.
    expect(next.tensors[0]!.data[0]).toBeCloseTo(start.tensors[0]!.data[0]! + 0.25, 5);
  });
});
