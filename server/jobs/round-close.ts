import { and, eq, inArray } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import {
  jobs,
  modelVersions,
  roundUpdates,
  sites,
  trainingRounds,
  type ModelVersion,
  type TrainingRound,
} from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { RunningSum } from "@/server/aggregation/running-sum";
import { applyServerUpdate, meanOfTensors } from "@/server/aggregation/strategies";
import { specOf } from "@/server/aggregation/validate-update";
import { insertVersionWritingAside } from "@/server/models/model-versions";
import { metrics } from "@/server/observability/metrics";
import { cancelOpenTasks, requeueCompletedTasks } from "@/server/tasks/task-interventions";
import type { NamedTensor } from "@/protocol/tensor-codec";
import type { TrainResult } from "@/protocol/training";
import { previousState, stateTensors } from "./fedadam-state";
import { isTaskOpen, jobActor, loadVersionById, loadWeights, roundTasks, type JobContext } from "./job-context";
import { logJobEvent } from "./job-events";
import { globalValidationOf, poolMetrics } from "./pool-metrics";
import { roundQuorum } from "./quorum.schema";
import { discardRoundUpdates, gatherRoundSum } from "./round-sums";
import { gatherSecureSum } from "./secure-round";
import { dispatchRound, failJob, startEvaluation } from "./rounds.service";

/**
 * Closing a training round (ARCHITECTURE.md, "Models, training and evaluation"): the caller holds
 * the job and round locks; the round's sum comes from the portal processes that accepted its
 * updates (round-sums.ts), and `closeRoundFromSum` turns it into the next version. A step that
 * must see the whole round before its version is written belongs there; a secure-aggregation round
 * forms its sum from the sites' masked uploads and unmasking shares instead (secure-round.ts).
 */
const LOST = "its update was held by a portal process that stopped before the round closed";

export type CloseReason = "all_reported" | "deadline" | "dropouts";

/**
 * Closes an open round (its row as the caller locked it) from its running sum: gathers the sum,
 * aggregates, writes the version, starts what comes next. Returns false, changing nothing, while
 * another portal process has yet to publish its part of the sum (it retries the close when it has).
 */
export async function closeRound(
  db: Database,
  tx: Tx,
  ctx: JobContext,
  round: { round: TrainingRound; isPastDeadline: boolean },
  reason: CloseReason,
): Promise<boolean> {
  const accepted = await tx
    .select({
      siteId: roundUpdates.siteId,
      siteCode: sites.code,
      exampleCount: roundUpdates.exampleCount,
      result: roundUpdates.result,
      holder: roundUpdates.holder,
      updateSha256: roundUpdates.updateSha256,
    })
    .from(roundUpdates)
    .innerJoin(sites, eq(sites.id, roundUpdates.siteId))
    .where(eq(roundUpdates.roundId, round.round.id))
    .orderBy(sites.code);
  const minSites = roundQuorum(ctx.config);
  const globalVersion = await loadVersionById(tx, round.round.globalVersionId);
  const global = await loadWeights(tx, globalVersion.weightsSha256);
  if (ctx.config.secureAggregation) {
    const secure = await gatherSecureSum(
      db,
      tx,
      { id: round.round.id, isPastDeadline: round.isPastDeadline },
      {
        spec: specOf(global),
        accepted,
      },
    );
    if (secure === "waiting") return false;
    const isFailed = "failure" in secure;
    await closeRoundFromSum(db, tx, ctx, round.round, reason, {
      updates: isFailed ? accepted : accepted.filter((u) => secure.survivors.includes(u.siteId)),
      lost: new Set(isFailed ? [] : secure.lost),
      global,
      globalVersion,
      sum: isFailed ? undefined : { ...meanOfTensors(secure.mean), totalWeight: secure.totalWeight },
      failure: isFailed ? `Round ${round.round.number}: ${secure.failure}` : undefined,
    });
    return true;
  }
  // Gathered before anything changes: a close that waits for another process's partial sum leaves the round as it was.
  const aggregate =
    accepted.length >= minSites
      ? await gatherRoundSum(
          db,
          tx,
          { id: round.round.id, isPastDeadline: round.isPastDeadline },
          specOf(global),
          accepted,
        )
      : null;
  if (aggregate === "waiting") return false;
  // Before the deadline a lost update is asked for again rather than dropped: the site trains once more.
  if (aggregate && aggregate.lost.length > 0 && !round.isPastDeadline) {
    await requeueLostUpdates(tx, ctx, round.round, aggregate.lost);
    return false;
  }
  const lost = new Set(aggregate?.lost ?? []);
  const updates = accepted.filter((u) => !lost.has(u.siteId));
  await closeRoundFromSum(db, tx, ctx, round.round, reason, {
    updates,
    lost,
    global,
    globalVersion,
    sum: aggregate?.sum,
  });
  return true;
}

/** The round's outcome once its sum is known: a failed round below the quorum, else the next version and what follows. */
async function closeRoundFromSum(
  db: Database,
  tx: Tx,
  ctx: JobContext,
  round: TrainingRound,
  reason: CloseReason,
  from: {
    updates: { siteId: string; siteCode: string; exampleCount: number; result: TrainResult }[];
    lost: ReadonlySet<string>;
    global: NamedTensor[];
    globalVersion: ModelVersion;
    sum: Pick<RunningSum, "meanOf" | "totalWeight"> | undefined;
    /** Why the round failed, when its sum could not be formed (secure aggregation below its threshold). */
    failure?: string;
  },
): Promise<void> {
  const { updates, lost, global, globalVersion } = from;
  const tasks = await roundTasks(tx, ctx.job.id, round.number);
  const late = `Round ${round.number} closed (${reason === "deadline" ? "deadline passed" : "aggregated"}); a late update is not accepted.`;
  await cancelOpenTasks(
    tx,
    jobActor,
    tasks.filter((t) => isTaskOpen(t.status)).map((t) => t.taskId),
    late,
  );
  const reported = new Set(updates.map((u) => u.siteId));
  for (const t of tasks.filter((t) => !reported.has(t.siteId))) {
    const site = ctx.job.sites.find((s) => s.id === t.siteId);
    const why = lost.has(t.siteId)
      ? LOST
      : isTaskOpen(t.status)
        ? reason === "deadline"
          ? "no update by the round deadline"
          : "still running when the round closed"
        : `${t.status}${t.failureMessage ? `: ${t.failureMessage}` : ""}`;
    await logJobEvent(tx, ctx.job.id, "site_dropped", {
      round: round.number,
      siteCode: site?.code ?? null,
      details: { reason: why.slice(0, 300) },
    });
  }

  // Checked before anything is aggregated: a version from fewer sites would show too much of each one's update.
  const minSites = roundQuorum(ctx.config);
  if (updates.length < minSites || !from.sum || from.failure) {
    await tx
      .update(trainingRounds)
      .set({ status: "failed", closedAt: new Date() })
      .where(eq(trainingRounds.id, round.id));
    await discardRoundUpdates(tx, round.id);
    metrics.roundDuration.observe({ outcome: "failed" }, (Date.now() - round.startedAt.getTime()) / 1000);
    await failJob(
      tx,
      ctx,
      from.failure ??
        `Round ${round.number}: ${updates.length} of the ${round.expectedSites} sites returned an update ${reason === "deadline" ? "by the deadline" : "before the others dropped out"}; the job needs at least ${minSites}, so no new version was written.`,
    );
    return;
  }

  const aggregationStarted = performance.now();
  const sum = from.sum;
  const next = applyServerUpdate(ctx.config.strategy!, global, sum, await previousState(tx, ctx, globalVersion));
  metrics.aggregationDuration.observe((performance.now() - aggregationStarted) / 1000);

  // Its files are written meanwhile, on a connection of their own; they must be in before this commits.
  const { version, written } = await insertVersionWritingAside(db, tx, {
    modelId: ctx.model.id,
    source: "training",
    weights: next.weights,
    weightsFile: next.weightsFile,
    optimizerState: stateTensors(next.state),
    parentVersionId: globalVersion.id,
    jobId: ctx.job.id,
    round: round.number,
    lineage: {
      kind: "training",
      jobId: ctx.job.id,
      round: round.number,
      sites: updates.map((u) => ({ code: u.siteCode, examples: u.exampleCount })),
      expectedSites: tasks.map((t) => ctx.job.sites.find((s) => s.id === t.siteId)?.code ?? "?").sort(),
      revisionHash: ctx.revisionHash,
      hyperparameters: ctx.config.hyperparameters,
      strategy: ctx.config.strategy,
      backends: Object.fromEntries(updates.map((u) => [u.siteCode, u.result.backend])),
    },
    createdBy: ctx.job.createdBy,
  });
  // The sites measured the incoming model before training: that is the parent version's validation.
  const perSite = globalValidationOf(updates);
  if (globalVersion.metrics === null) {
    await tx
      .update(modelVersions)
      .set({
        metrics: {
          validation: poolMetrics(perSite),
          perSite,
          source: `validation splits at the start of round ${round.number}`,
        },
      })
      .where(eq(modelVersions.id, globalVersion.id));
  }
  await tx
    .update(trainingRounds)
    .set({ status: "closed", closedAt: new Date(), resultVersionId: version.id })
    .where(eq(trainingRounds.id, round.id));
  metrics.roundDuration.observe({ outcome: "closed" }, (Date.now() - round.startedAt.getTime()) / 1000);
  await discardRoundUpdates(tx, round.id);
  await tx.update(jobs).set({ latestVersionId: version.id }).where(eq(jobs.id, ctx.job.id));
  ctx.job.latestVersionId = version.id;
  await logJobEvent(tx, ctx.job.id, "round_aggregated", {
    round: round.number,
    details: {
      returned: updates.length,
      expected: round.expectedSites,
      version: version.number,
      examples: sum.totalWeight,
      reason,
    },
  });
  await recordAudit(tx, {
    actor: jobActor,
    action: "training.round_aggregated",
    subject: `job:${ctx.job.id}`,
    details: {
      round: round.number,
      returned: updates.length,
      expected: round.expectedSites,
      version: version.number,
      weights: version.weightsSha256,
    },
  });

  if (round.number < ctx.job.totalRounds) await dispatchRound(tx, ctx, round.number + 1, version);
  else await startEvaluation(tx, ctx, version);
  await written;
}

/** The sites whose accepted update went with a stopped process send it again: their rows go, their tasks are queued. */
async function requeueLostUpdates(tx: Tx, ctx: JobContext, round: TrainingRound, siteIds: readonly string[]) {
  const removed = await tx
    .delete(roundUpdates)
    .where(and(eq(roundUpdates.roundId, round.id), inArray(roundUpdates.siteId, [...siteIds])))
    .returning({ taskId: roundUpdates.taskId, siteId: roundUpdates.siteId });
  await requeueCompletedTasks(
    tx,
    jobActor,
    removed.map((r) => r.taskId),
    LOST,
  );
  for (const { siteId } of removed)
    await logJobEvent(tx, ctx.job.id, "update_lost", {
      round: round.number,
      siteCode: ctx.job.sites.find((s) => s.id === siteId)?.code ?? null,
      details: { reason: `${LOST}; the site was asked for it again` },
    });
}
