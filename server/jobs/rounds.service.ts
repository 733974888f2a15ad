import { and, eq, sql } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { jobs, jobTasks, modelAliases, modelVersions, projects, trainingRounds, type ModelVersion } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { listApprovedSiteIds } from "@/server/projects/projects.service";
import { cancelOpenTasks } from "@/server/tasks/task-interventions";
import { enqueueTasks } from "@/server/tasks/tasks.service";
import type { EvaluateResult } from "@/protocol/training";
import { jobActor, loadVersionById, type JobContext, type roundTasks } from "./job-context";
import { logJobEvent } from "./job-events";
import { evaluatePayload, trainPayload } from "./job-payloads";
import { evaluationOf, poolMetrics, type SiteMetrics } from "./pool-metrics";
import { roundQuorum } from "./quorum.schema";
import { openSecureRound } from "./secure-round";
import { releasedApprovedCounts } from "./weight-bounds";
import { discardRoundUpdates } from "./round-sums";

/**
 * The federated round (ARCHITECTURE.md, "Models, training and evaluation"), all inside the caller's transaction so a hub that stops at any
 * point resumes from the database: dispatch a round, close it (aggregate, write the version,
 * start the next), evaluate the final version, finish or fail the job.
 */

// A site renews its lease while it trains; two attempts let a restarted worker pick the round up again.
const TRAIN_LEASE_MS = 120_000;
const TRAIN_MAX_ATTEMPTS = 2;
const EVALUATION_DEADLINE_SECONDS = 600;

/** The job's sites that may still receive work: approved for the revision the job runs under. */
async function eligibleSites(tx: Tx, ctx: JobContext, round: number) {
  const [project] = await tx
    .select({ revisionId: projects.currentRevisionId, status: projects.status })
    .from(projects)
    .where(eq(projects.id, ctx.job.projectId));
  if (project?.revisionId !== ctx.job.revisionId || project.status === "closed") {
    await failJob(
      tx,
      ctx,
      project?.status === "closed"
        ? "The project was closed."
        : "The project's governance bundle changed since this job started; its sites must approve the new revision and the job be started again.",
    );
    return null;
  }
  const approved = await listApprovedSiteIds(tx, { projectId: ctx.job.projectId });
  const eligible = ctx.job.sites.filter((s) => approved.has(s.id));
  for (const site of ctx.job.sites.filter((s) => !approved.has(s.id))) {
    await logJobEvent(tx, ctx.job.id, "site_skipped", {
      round,
      siteCode: site.code,
      details: { reason: "its approval no longer covers this revision" },
    });
  }
  return eligible;
}

export async function dispatchRound(
  tx: Tx,
  ctx: JobContext,
  round: number,
  globalVersion: ModelVersion,
): Promise<void> {
  const sitesNow = await eligibleSites(tx, ctx, round);
  if (!sitesNow) return;
  const participation = ctx.config.participation!;
  const quorum = roundQuorum(ctx.config);
  if (sitesNow.length < quorum) {
    await failJob(
      tx,
      ctx,
      `Round ${round} cannot start: ${sitesNow.length} site(s) are still approved, fewer than the minimum of ${quorum}.`,
    );
    return;
  }
  const deadlineAt = new Date(Date.now() + participation.roundDeadlineSeconds * 1000);
  // Clock time, not now(): the transaction that opens round r+1 started before round r was aggregated.
  const [opened] = await tx
    .insert(trainingRounds)
    .values({
      jobId: ctx.job.id,
      number: round,
      globalVersionId: globalVersion.id,
      deadlineAt,
      expectedSites: sitesNow.length,
      startedAt: new Date(),
    })
    .returning({ id: trainingRounds.id });
  const payload = {
    ...trainPayload(ctx.job, ctx.bundle, ctx.model, globalVersion, round),
    secureAggregation: ctx.config.secureAggregation
      ? await openSecureRound(tx, {
          roundId: opened!.id,
          siteCount: sitesNow.length,
          normBound: ctx.config.normBound!,
          dp: ctx.config.differentialPrivacy,
          weightDivisor: await largestReleasedCount(tx, ctx.job.revisionId, sitesNow),
        })
      : undefined,
  };
  const tasks = await enqueueTasks(
    tx,
    sitesNow.map((site) => ({
      siteId: site.id,
      siteCode: site.code,
      kind: "train" as const,
      payload,
      actor: jobActor,
      requestedBy: ctx.job.createdBy,
      revisionId: ctx.job.revisionId,
      maxAttempts: TRAIN_MAX_ATTEMPTS,
      leaseMs: TRAIN_LEASE_MS,
      deadlineAt,
    })),
  );
  await tx
    .insert(jobTasks)
    .values(tasks.map((task, i) => ({ jobId: ctx.job.id, taskId: task.id, siteId: sitesNow[i]!.id, round })));
  await tx.update(jobs).set({ currentRound: round }).where(eq(jobs.id, ctx.job.id));
  ctx.job.currentRound = round;
  await logJobEvent(tx, ctx.job.id, "round_started", {
    round,
    details: { expected: sitesNow.length, deadlineAt: deadlineAt.toISOString(), globalVersion: globalVersion.number },
  });
}

/** Dispatches one evaluate task per eligible site (round 0), or completes the job when the bundle allows no evaluation. */
export async function startEvaluation(tx: Tx, ctx: JobContext, version: ModelVersion): Promise<void> {
  if (!ctx.bundle.allowedJobKinds.includes("evaluate")) {
    await completeJob(tx, ctx, version, null);
    return;
  }
  const sitesNow = await eligibleSites(tx, ctx, 0);
  if (!sitesNow) return;
  if (sitesNow.length === 0) {
    await failJob(tx, ctx, "No site is approved for this revision any more; nothing can be evaluated.");
    return;
  }
  const payload = evaluatePayload(ctx.job, ctx.bundle, ctx.model, version);
  // A site that is down must not hold the job open: its evaluation expires and the others are pooled.
  const deadlineAt = new Date(
    Date.now() + (ctx.config.participation?.roundDeadlineSeconds ?? EVALUATION_DEADLINE_SECONDS) * 1000,
  );
  const tasks = await enqueueTasks(
    tx,
    sitesNow.map((site) => ({
      siteId: site.id,
      siteCode: site.code,
      kind: "evaluate" as const,
      payload,
      actor: jobActor,
      requestedBy: ctx.job.createdBy,
      revisionId: ctx.job.revisionId,
      maxAttempts: TRAIN_MAX_ATTEMPTS,
      leaseMs: TRAIN_LEASE_MS,
      deadlineAt,
    })),
  );
  await tx
    .insert(jobTasks)
    .values(tasks.map((task, i) => ({ jobId: ctx.job.id, taskId: task.id, siteId: sitesNow[i]!.id, round: 0 })));
  await logJobEvent(tx, ctx.job.id, "evaluation_started", {
    details: { version: version.number, sites: sitesNow.length, deadlineAt: deadlineAt.toISOString() },
  });
}

/** Once every evaluate task has ended: pools the held-out metrics onto the version and completes the job. */
export async function finishEvaluation(
  tx: Tx,
  ctx: JobContext,
  tasks: Awaited<ReturnType<typeof roundTasks>>,
): Promise<void> {
  const versionId = ctx.job.kind === "train" ? ctx.job.latestVersionId! : ctx.job.versionId;
  const version = await loadVersionById(tx, versionId);
  const perSite: SiteMetrics[] = [];
  for (const t of tasks) {
    const code = ctx.job.sites.find((s) => s.id === t.siteId)?.code ?? "?";
    if (t.status !== "done") {
      await logJobEvent(tx, ctx.job.id, "site_dropped", {
        round: 0,
        siteCode: code,
        details: { reason: `${t.status}${t.failureMessage ? `: ${t.failureMessage}` : ""}`.slice(0, 300) },
      });
      continue;
    }
    const result = t.result as EvaluateResult;
    perSite.push(evaluationOf(code, result));
    await logJobEvent(tx, ctx.job.id, "evaluation_received", {
      round: 0,
      siteCode: code,
      details: { examples: result.examples, backend: result.backend },
    });
  }
  if (perSite.length === 0) {
    await failJob(tx, ctx, "No site returned an evaluation.");
    return;
  }
  const evaluation = {
    validation: poolMetrics(perSite),
    perSite,
    source: `held-out test splits, evaluation by job ${ctx.job.id.slice(0, 8)}`,
  };
  await tx.update(modelVersions).set({ metrics: evaluation }).where(eq(modelVersions.id, version.id));
  await completeJob(tx, ctx, version, evaluation);
}

async function completeJob(tx: Tx, ctx: JobContext, version: ModelVersion, evaluation: unknown): Promise<void> {
  await tx.update(jobs).set({ status: "completed", finishedAt: new Date() }).where(eq(jobs.id, ctx.job.id));
  if (ctx.job.kind === "train") {
    // A finished training run proposes its last version; promoting it to champion is a person's decision.
    await tx
      .insert(modelAliases)
      .values({ modelId: ctx.model.id, alias: "candidate", versionId: version.id, updatedBy: ctx.job.createdBy })
      .onConflictDoUpdate({
        target: [modelAliases.modelId, modelAliases.alias],
        set: { versionId: version.id, updatedBy: ctx.job.createdBy, updatedAt: sql`now()` },
      });
    await recordAudit(tx, {
      actor: jobActor,
      action: "model.alias_moved",
      subject: `model:${ctx.model.id}`,
      details: { alias: "candidate", to: version.number, job: ctx.job.id },
    });
  }
  await logJobEvent(tx, ctx.job.id, "job_completed", {
    details: { version: version.number, evaluated: evaluation !== null },
  });
  await recordAudit(tx, {
    actor: jobActor,
    action: "job.completed",
    subject: `job:${ctx.job.id}`,
    details: { kind: ctx.job.kind, version: version.number },
  });
}

export async function failJob(tx: Tx, ctx: JobContext, message: string): Promise<void> {
  await tx
    .update(jobs)
    .set({ status: "failed", error: message, finishedAt: new Date() })
    .where(eq(jobs.id, ctx.job.id));
  const open = await tx
    .update(trainingRounds)
    .set({ status: "failed", closedAt: new Date() })
    .where(and(eq(trainingRounds.jobId, ctx.job.id), eq(trainingRounds.status, "open")))
    .returning({ id: trainingRounds.id });
  for (const round of open) await discardRoundUpdates(tx, round.id);
  const tasks = await tx.select({ taskId: jobTasks.taskId }).from(jobTasks).where(eq(jobTasks.jobId, ctx.job.id));
  await cancelOpenTasks(
    tx,
    jobActor,
    tasks.map((t) => t.taskId),
    "The job failed.",
  );
  ctx.job.status = "failed";
  await logJobEvent(tx, ctx.job.id, "job_failed", { details: { message } });
  await recordAudit(tx, { actor: jobActor, action: "job.failed", subject: `job:${ctx.job.id}`, details: { message } });
}

/** The largest approved cohort count the round's sites released: no site's example count exceeds it (weight-bounds.ts). */
async function largestReleasedCount(tx: Tx, revisionId: string, sitesNow: readonly { id: string }[]) {
  const released = await releasedApprovedCounts(tx, { revisionId, siteIds: sitesNow.map((s) => s.id) });
  return Math.max(1, ...[...released.values()].map((r) => (typeof r.total === "number" ? r.total : 0)));
}
