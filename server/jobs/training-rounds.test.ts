import { and, asc, eq, isNotNull, sql } from "drizzle-orm";
import type { Histogram } from "prom-client";
import { beforeAll, describe, expect, test, vi } from "vitest";
import { connectDatabase, type Database } from "@/db/client";
import {
  jobEvents,
  jobs,
  modelAliases,
  modelVersions,
  roundPartials,
  roundUpdates,
  siteTasks,
  trainingRounds,
  type Site,
} from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { makeSite, makeUser, snapshotTables, viewerOf } from "@/server/lib/test-support/fixtures";
import {
  makeTrainingProject,
  RELEASE_STATEMENT,
  RELEASED_METRICS,
  RELEASED_SPLIT,
  trainJobInput,
} from "@/server/lib/test-support/training-fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { metrics as hubMetrics } from "@/server/observability/metrics";
import { downloadModelVersion } from "@/server/models/model-download";
import { insertVersion } from "@/server/models/model-versions";
import { completeTask, failTask, leaseNextTask } from "@/server/tasks/tasks.service";
import { decodeTensors, encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import { encodeTrainResultHeader, type TrainResult } from "@/protocol/training";
import type { LeasedTask } from "@/protocol/contract";
import { advanceJobs } from "./job-coordinator";
import { getJobDetail } from "./job-detail";
import { cancelJob, createTrainJob } from "./jobs.service";
import type { TTrainJobInput } from "./jobs.schema";
import { closeRoundExchange } from "./round-exchange";
import { acceptUpdate } from "./update-intake";
import { weightsForTask } from "./weights-download";

/**
 * Round logic with stand-in sites: each "site" leases its task, downloads the global weights the
 * hub serves and returns a delta it chose, so every aggregate can be checked by hand.
 */
const testDb = useTestDatabase();
let researcher: Viewer;
// Fresh sites per test, so one test's queued tasks never reach another's stand-in sites.
let sites: Site[];

beforeAll(async () => {
  researcher = await viewerOf(testDb.db(), (await makeUser(testDb.db(), [{ role: "researcher" }])).id);
});

async function startJob(db: Database, overrides: Partial<TTrainJobInput> = {}) {
  sites = [await makeSite(db), await makeSite(db), await makeSite(db)];
  const approvers = [];
  for (const site of sites)
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
  const project = await makeTrainingProject(db, researcher, approvers);
  const job = await createTrainJob(
    db,
    researcher,
    trainJobInput(
      project,
      sites.map((s) => s.id),
      overrides,
    ),
  );
  return { ...project, jobId: job.id };
}

const metrics = RELEASED_METRICS;
const withheld = { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null };
const trainResult = (examples: number): TrainResult => ({
  exampleCount: examples,
  ...RELEASE_STATEMENT,
  globalValidation: { ...metrics, ...RELEASED_SPLIT },
  localValidation: metrics,
  trainLoss: 0.5,
  epochs: 1,
  backend: "cpu",
  trainingMs: 5,
});

const withValue = (tensors: NamedTensor[], fill: (i: number) => number): NamedTensor[] =>
  tensors.map((t) => ({ ...t, data: Float32Array.from(t.data, (_, i) => fill(i)) }));

type SiteLease = { site: Site; task: LeasedTask; global: NamedTensor[] };

async function leaseFor(db: Database, site: Site): Promise<SiteLease> {
  const task = await leaseNextTask(db, site);
  if (!task) throw new Error(`no task for ${site.code}`);
  const { bytes } = await weightsForTask(db, site, task.taskId, task.leaseId);
  return { site, task, global: decodeTensors(bytes).tensors };
}

function upload(
  db: Database,
  lease: SiteLease,
  delta: NamedTensor[],
  examples: number,
  header = encodeTrainResultHeader(trainResult(examples)),
) {
  return acceptUpdate(db, lease.site, {
    taskId: lease.task.taskId,
    leaseId: lease.task.leaseId,
    body: encodeTensors(delta),
    resultHeader: header,
  });
}

async function versionWeights(db: Database, versionId: string) {
  const [version] = await db.select().from(modelVersions).where(eq(modelVersions.id, versionId));
  return {
    version: version!,
    tensors: decodeTensors(await getArtifactStore().get(db, version!.weightsSha256)).tensors,
  };
}

async function rounds(db: Database, jobId: string) {
  return db.select().from(trainingRounds).where(eq(trainingRounds.jobId, jobId)).orderBy(asc(trainingRounds.number));
}

/** How many observations a histogram holds (for the given labels). */
async function observations(histogram: Histogram, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await histogram.get();
  const sample = values.find(
    (v) =>
      v.metricName?.endsWith("_count") &&
      Object.entries(labels).every(([k, value]) => (v.labels as Record<string, unknown>)[k] === value),
  );
  return sample?.value ?? 0;
}

describe("a federated round", () => {
  test("FedAvg folds each update as it arrives and writes the example-weighted mean as a new version with lineage", async () => {
    const db = testDb.db();
    const counts = async () => ({
      rounds: await observations(hubMetrics.roundDuration, { outcome: "closed" }),
      aggregations: await observations(hubMetrics.aggregationDuration),
      updates: await observations(hubMetrics.updateBytes),
    });
    const before = await counts();
    const { jobId, versionId } = await startJob(db);
    const leases = await Promise.all(sites.map((s) => leaseFor(db, s)));
    const deltas = [0.1, -0.2, 0.4];
    const examples = [10, 30, 60];
    for (const [i, lease] of leases.entries())
      await upload(
        db,
        lease,
        withValue(lease.global, () => deltas[i]!),
        examples[i]!,
      );

    const [first, second] = await rounds(db, jobId);
    expect(first).toMatchObject({ status: "closed" });
    expect(second).toMatchObject({ status: "open", expectedSites: 3 });
    const expectedDelta = (0.1 * 10 - 0.2 * 30 + 0.4 * 60) / 100;
    const start = await versionWeights(db, versionId);
    const next = await versionWeights(db, first!.resultVersionId!);
    next.tensors.forEach((t, ti) =>
      t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + expectedDelta, 6)),
    );
    expect(next.version).toMatchObject({
      source: "training",
      parentVersionId: versionId,
      jobId,
      round: 1,
      number: start.version.number + 1,
    });
    expect(next.version.lineage).toMatchObject({
      kind: "training",
      round: 1,
      sites: sites.map((s, i) => ({ code: s.code, examples: examples[i] })),
      strategy: { kind: "fedavg" },
    });
    // The sites measured the starting version before training: that becomes its validation.
    expect((await versionWeights(db, versionId)).version.metrics).toMatchObject({
      // Pooled from the three sites' summed matrices and histograms (each AUC 0.75, so the pool's too).
      validation: { auc: 0.75, sensitivity: 1, specificity: 0.5, examples: 90, sites: 3 },
    });
    const round2Task = await leaseNextTask(db, sites[0]!);
    expect(round2Task?.payload).toMatchObject({ round: 2, model: { versionId: next.version.id } });
    // Operations see the round: its duration, its aggregation and the three accepted updates.
    expect(await counts()).toEqual({
      rounds: before.rounds + 1,
      aggregations: before.aggregations + 1,
      updates: before.updates + 3,
    });
  });

  test("late, duplicate, NaN, wrongly shaped, over-norm and unlabelled updates are refused and change nothing", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, { participation: { minSites: 2, roundDeadlineSeconds: 600 } });
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    const refused = async (call: () => Promise<unknown>, code: string, message: RegExp) => {
      const before = await snapshotTables(db);
      await expect(call()).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
      expect(await snapshotTables(db)).toEqual(before);
    };
    const nan = withValue(a!.global, (i) => (i === 0 ? Number.NaN : 0));
    await refused(() => upload(db, a!, nan, 10), "BAD_REQUEST", /Update refused: value 0 of .* is NaN/);
    await refused(
      () => upload(db, a!, a!.global.slice(1), 10),
      "BAD_REQUEST",
      /Update refused: update has \d+ tensors, expected \d+/,
    );
    const reshaped = a!.global.map((t, i) =>
      i === 0 ? { ...t, shape: [t.data.length, 1, 1].slice(0, t.shape.length + 1) } : t,
    );
    await refused(() => upload(db, a!, reshaped, 10), "BAD_REQUEST", /Update refused: tensor .* has shape/);
    await refused(
      () =>
        upload(
          db,
          a!,
          withValue(a!.global, () => 100),
          10,
        ),
      "BAD_REQUEST",
      /Update refused: update norm .* exceeds the job's bound 10/,
    );
    await refused(
      () =>
        upload(
          db,
          a!,
          withValue(a!.global, () => 0),
          10,
          "",
        ),
      "BAD_REQUEST",
      /x-flip-train-result header is missing/,
    );
    await refused(
      () =>
        acceptUpdate(db, a!.site, {
          taskId: a!.task.taskId,
          leaseId: a!.task.leaseId,
          body: new Uint8Array([1, 2, 3]),
          resultHeader: encodeTrainResultHeader(trainResult(10)),
        }),
      "BAD_REQUEST",
      /Update refused: payload is 3 bytes/,
    );
    await refused(
      () =>
        upload(
          db,
          { ...a!, site: b!.site },
          withValue(a!.global, () => 0),
          10,
        ),
      "NOT_FOUND",
      /belongs to site/,
    );
    // What leaves a site is re-checked: a suppressed validation split may not come with its metrics, nor a small one unsuppressed.
    const leaky = { ...trainResult(10), globalValidation: { ...metrics, examples: "suppressed" as const } };
    await refused(
      () =>
        upload(
          db,
          a!,
          withValue(a!.global, () => 0),
          10,
          encodeTrainResultHeader(leaky),
        ),
      "BAD_REQUEST",
      /metrics were reported for a suppressed validation split/,
    );
    // The local model's metrics describe the same suppressed split: withheld with it.
    const leakyLocal = {
      ...trainResult(10),
      globalValidation: { ...withheld, examples: "suppressed" as const },
      localValidation: metrics,
    };
    await refused(
      () =>
        upload(
          db,
          a!,
          withValue(a!.global, () => 0),
          10,
          encodeTrainResultHeader(leakyLocal),
        ),
      "BAD_REQUEST",
      /^Result refused: metrics were reported for a suppressed validation split\. Nothing was changed\.$/,
    );
    const small = { ...trainResult(10), globalValidation: { ...metrics, examples: 4 } };
    await refused(
      () =>
        upload(
          db,
          a!,
          withValue(a!.global, () => 0),
          10,
          encodeTrainResultHeader(small),
        ),
      "BAD_REQUEST",
      /a count below the threshold 10 was not suppressed/,
    );

    await upload(
      db,
      a!,
      withValue(a!.global, () => 0.01),
      10,
    );
    await refused(
      () =>
        upload(
          db,
          a!,
          withValue(a!.global, () => 0.01),
          10,
        ),
      "CONFLICT",
      /already completed/,
    );
    // B's update closes the round once C's deadline passes; C's late update is then refused.
    await upload(
      db,
      b!,
      withValue(b!.global, () => 0.02),
      10,
    );
    await db
      .update(trainingRounds)
      .set({ deadlineAt: sql`now() - interval '1 second'` })
      .where(and(eq(trainingRounds.jobId, jobId), eq(trainingRounds.number, 1)));
    await advanceJobs(db);
    await refused(
      () =>
        upload(
          db,
          c!,
          withValue(c!.global, () => 0.03),
          10,
        ),
      "CONFLICT",
      /Round 1 is already closed; this late update was rejected/,
    );
    const events = await db
      .select()
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, jobId), eq(jobEvents.type, "site_dropped")));
    expect(events).toMatchObject([
      { round: 1, siteCode: c!.site.code, details: { reason: "no update by the round deadline" } },
    ]);
  });

  test("a site that drops out does not stop the round while the quorum holds; below it the job fails", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db);
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    await failTask(db, c!.site, {
      taskId: c!.task.taskId,
      leaseId: c!.task.leaseId,
      code: "handler_error",
      message: "worker killed",
      retryable: false,
    });
    await upload(
      db,
      a!,
      withValue(a!.global, () => 0.1),
      10,
    );
    await upload(
      db,
      b!,
      withValue(b!.global, () => 0.3),
      10,
    );
    expect(await advanceJobs(db)).toBe(1);
    const [first] = await rounds(db, jobId);
    expect(first).toMatchObject({ status: "closed" });
    expect((await versionWeights(db, first!.resultVersionId!)).version.lineage).toMatchObject({
      sites: [{ code: a!.site.code }, { code: b!.site.code }],
    });
    const detail = await getJobDetail(db, {
      projectId: (await db.select().from(jobs).where(eq(jobs.id, jobId)))[0]!.projectId,
      jobId,
    });
    expect(detail.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["update_received", "site_dropped", "round_aggregated", "round_started"]),
    );

    // Round 2: two of three drop, below the minimum of two.
    const [a2, b2, c2] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    for (const lease of [b2!, c2!])
      await failTask(db, lease.site, {
        taskId: lease.task.taskId,
        leaseId: lease.task.leaseId,
        code: "handler_error",
        message: "worker killed",
        retryable: false,
      });
    await upload(
      db,
      a2!,
      withValue(a2!.global, () => 0.1),
      10,
    );
    await advanceJobs(db);
    const [job] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(job).toMatchObject({
      status: "failed",
      error: expect.stringContaining("Round 2: 1 of the 3 sites returned an update"),
    });
  });

  test("two portal processes split a round's updates: the close gathers the other's partial sum once, and the job finishes with an evaluation", async () => {
    const db = testDb.db();
    const { jobId, projectId } = await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    });
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    await upload(
      db,
      a!,
      withValue(a!.global, () => 0.5),
      50,
    );
    // A second portal process: its own pool and its own memory; the two share only the database.
    const other = connectDatabase(testDb.url());
    try {
      const hub = other.db;
      await upload(
        hub,
        b!,
        withValue(b!.global, () => -0.5),
        25,
      );
      await upload(
        hub,
        c!,
        withValue(c!.global, () => 0.25),
        25,
      );
      // The second process asked the first for its partial sum; the first published it and closed the round.
      await vi.waitFor(async () => expect((await rounds(hub, jobId))[0]).toMatchObject({ status: "closed" }), {
        timeout: 10_000,
      });
      const [round] = await rounds(hub, jobId);
      const start = await versionWeights(hub, round!.globalVersionId);
      const next = await versionWeights(hub, round!.resultVersionId!);
      const expected = (0.5 * 50 - 0.5 * 25 + 0.25 * 25) / 100;
      next.tensors.forEach((t, ti) =>
        t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + expected, 6)),
      );
      // The partial sum was only needed until the round closed; no update was ever stored.
      expect(await hub.select().from(roundPartials)).toEqual([]);
      expect(
        await hub
          .select()
          .from(roundUpdates)
          .where(and(eq(roundUpdates.roundId, round!.id), isNotNull(roundUpdates.updateSha256))),
      ).toEqual([]);

      // The final version is evaluated at every site; results pool onto it.
      for (const [i, site] of sites.entries()) {
        const task = (await leaseNextTask(hub, site))!;
        expect(task.kind).toBe("evaluate");
        await completeTask(hub, site, {
          taskId: task.taskId,
          leaseId: task.leaseId,
          result:
            i === 2
              ? {
                  ...RELEASE_STATEMENT,
                  examples: "suppressed",
                  positives: "suppressed",
                  negatives: "suppressed",
                  metrics: withheld,
                  confusion: null,
                  histogram: null,
                  backend: "wasm",
                }
              : {
                  ...RELEASE_STATEMENT,
                  ...RELEASED_SPLIT,
                  metrics: { ...metrics, auc: i === 0 ? 0.7 : 0.8 },
                  backend: "wasm",
                },
        });
      }
      await advanceJobs(hub);
      const [job] = await hub.select().from(jobs).where(eq(jobs.id, jobId));
      expect(job).toMatchObject({ status: "completed", latestVersionId: next.version.id });
      expect((await versionWeights(hub, next.version.id)).version.metrics).toMatchObject({
        // Pooled from the two released histograms, not a mean of the site AUCs (0.7 and 0.8).
        validation: { auc: 0.75, examples: 60, sites: 2 },
      });
      const [candidate] = await hub
        .select()
        .from(modelAliases)
        .where(and(eq(modelAliases.modelId, next.version.modelId), eq(modelAliases.alias, "candidate")));
      expect(candidate?.versionId).toBe(next.version.id);
      const detail = await getJobDetail(hub, { projectId, jobId });
      expect(detail.validation.map((v) => v.round)).toEqual([0, 1]);
      expect(detail.progress).toMatchObject({ roundsDone: 1, totalRounds: 1 });
    } finally {
      await closeRoundExchange(other.db);
      await other.pool.end();
    }
  });

  test("an update held by a portal process that stopped is asked for again before the deadline: the site's task is queued, and the round closes with all three", async () => {
    const db = testDb.db();
    const { jobId } = await startJob(db, {
      hyperparameters: { rounds: 1, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    });
    const [a, b, c] = await Promise.all(sites.map((s) => leaseFor(db, s)));
    const stopped = connectDatabase(testDb.url());
    await upload(
      stopped.db,
      a!,
      withValue(a!.global, () => 1),
      50,
    );
    await closeRoundExchange(stopped.db);
    await stopped.pool.end();
    await upload(
      db,
      b!,
      withValue(b!.global, () => 0.5),
      25,
    );
    await upload(
      db,
      c!,
      withValue(c!.global, () => 0.25),
      25,
    );
    const [open] = await rounds(db, jobId);
    expect(open).toMatchObject({ status: "open" });
    const lost = await db
      .select()
      .from(jobEvents)
      .where(and(eq(jobEvents.jobId, jobId), eq(jobEvents.type, "update_lost")));
    expect(lost).toMatchObject([
      {
        siteCode: sites[0]!.code,
        details: {
          reason:
            "its update was held by a portal process that stopped before the round closed; the site was asked for it again",
        },
      },
    ]);
    // The site trains again and sends a new update; now the round closes with all three.
    const again = await leaseFor(db, sites[0]!);
    expect(again.task.taskId).toBe(a!.task.taskId);
    await upload(
      db,
      again,
      withValue(again.global, () => 0.75),
      50,
    );
    const [round] = await rounds(db, jobId);
    expect(round).toMatchObject({ status: "closed" });
    const start = await versionWeights(db, round!.globalVersionId);
    const next = await versionWeights(db, round!.resultVersionId!);
    const expected = (0.75 * 50 + 0.5 * 25 + 0.25 * 25) / 100;
    next.tensors.forEach((t, ti) =>
      t.data.forEach((x, i) => expect(x).toBeCloseTo(start.tensors[ti]!.data[i]! + expected, 6)),
    );
    expect(
      await db
        .select()
        .from(jobEvents)
        .where(and(eq(jobEvents.jobId, jobId), eq(jobEvents.type, "site_dropped"))),
    ).toEqual([]);
  });

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
