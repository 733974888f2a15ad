import { and, eq, sql } from "drizzle-orm";
import type { Histogram } from "prom-client";
import { describe, expect, test } from "vitest";
import { jobEvents, jobs, trainingRounds } from "@/db/schema";
import { snapshotTables } from "@/server/lib/test-support/fixtures";
import { metrics as hubMetrics } from "@/server/observability/metrics";
import { leaseNextTask } from "@/server/tasks/leasing";
import { failTask } from "@/server/tasks/tasks.service";
import { encodeTrainResultHeader } from "@/protocol/training";
import { advanceJobs } from "./job-coordinator";
import { getJobDetail } from "./job-detail";
import { acceptUpdate } from "./update-intake";
import {
  leaseFor,
  metrics,
  rounds,
  sites,
  startJob,
  trainResult,
  upload,
  useRoundHarness,
  versionWeights,
  withheld,
  withValue,
} from "@/server/lib/test-support/round-harness";

const testDb = useRoundHarness();

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
});
