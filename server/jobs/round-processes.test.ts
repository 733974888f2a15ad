import { and, eq, isNotNull } from "drizzle-orm";
import { describe, expect, test, vi } from "vitest";
import { connectDatabase } from "@/db/client";
import { jobEvents, jobs, modelAliases, roundPartials, roundUpdates } from "@/db/schema";
import { RELEASE_STATEMENT, RELEASED_SPLIT } from "@/server/lib/test-support/training-fixtures";
import { leaseNextTask } from "@/server/tasks/leasing";
import { completeTask } from "@/server/tasks/tasks.service";
import { advanceJobs } from "./job-coordinator";
import { getJobDetail } from "./job-detail";
import { closeRoundExchange } from "./round-exchange";
import {
  leaseFor,
  metrics,
  rounds,
  sites,
  startJob,
  upload,
  useRoundHarness,
  versionWeights,
  withheld,
  withValue,
} from "@/server/lib/test-support/round-harness";

const testDb = useRoundHarness();

describe("a round across portal processes", () => {
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
      // The second process asked the first for its part, writing its own with the request; the first
      // closed the round from its memory and that written part.
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
});
