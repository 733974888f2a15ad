import { and, asc, desc, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  jobEvents,
  jobs,
  jobTasks,
  models,
  modelVersions,
  roundUpdates,
  sites,
  siteTasks,
  trainingRounds,
} from "@/db/schema";
import { prepared } from "@/server/database/prepared";
import { AppError } from "@/server/errors";
import { isTaskOfKind } from "@/protocol/tasks";
import { evaluationOf, globalValidationOf, poolMetrics, type PooledMetrics, type SiteMetrics } from "./pool-metrics";

const EVENTS_SHOWN = 300;

const jobIdParam = sql.placeholder("jobId");

// The job page polls these while a job runs: each is prepared once per pool (server/database/prepared.ts).
const jobQuery = (db: Database, name: string) =>
  db
    .select({ job: jobs, modelName: models.name, startVersion: modelVersions.number })
    .from(jobs)
    .innerJoin(models, eq(models.id, jobs.modelId))
    .innerJoin(modelVersions, eq(modelVersions.id, jobs.versionId))
    .where(and(eq(jobs.id, jobIdParam), eq(jobs.projectId, sql.placeholder("projectId"))))
    .prepare(name);

const roundsQuery = (db: Database, name: string) =>
  db
    .select({ round: trainingRounds, resultVersion: modelVersions.number })
    .from(trainingRounds)
    .leftJoin(modelVersions, eq(modelVersions.id, trainingRounds.resultVersionId))
    .where(eq(trainingRounds.jobId, jobIdParam))
    .orderBy(asc(trainingRounds.number))
    .prepare(name);

const updatesQuery = (db: Database, name: string) =>
  db
    .select({
      roundId: roundUpdates.roundId,
      siteCode: sites.code,
      exampleCount: roundUpdates.exampleCount,
      byteSize: roundUpdates.byteSize,
      norm: roundUpdates.updateNorm,
      result: roundUpdates.result,
      receivedAt: roundUpdates.receivedAt,
    })
    .from(roundUpdates)
    .innerJoin(trainingRounds, eq(trainingRounds.id, roundUpdates.roundId))
    .innerJoin(sites, eq(sites.id, roundUpdates.siteId))
    .where(eq(trainingRounds.jobId, jobIdParam))
    .prepare(name);

const tasksQuery = (db: Database, name: string) =>
  db
    .select({
      round: jobTasks.round,
      siteCode: sites.code,
      status: siteTasks.status,
      attempt: siteTasks.attempt,
      progress: siteTasks.progress,
      progressMessage: siteTasks.progressMessage,
      failureMessage: siteTasks.failureMessage,
      createdAt: siteTasks.createdAt,
      leasedAt: siteTasks.leasedAt,
      finishedAt: siteTasks.finishedAt,
      kind: siteTasks.kind,
      result: siteTasks.result,
    })
    .from(jobTasks)
    .innerJoin(siteTasks, eq(siteTasks.id, jobTasks.taskId))
    .innerJoin(sites, eq(sites.id, jobTasks.siteId))
    .where(eq(jobTasks.jobId, jobIdParam))
    .orderBy(asc(jobTasks.round), asc(sites.code))
    .prepare(name);

const eventsQuery = (db: Database, name: string) =>
  db
    .select()
    .from(jobEvents)
    .where(eq(jobEvents.jobId, jobIdParam))
    .orderBy(desc(jobEvents.seq))
    .limit(EVENTS_SHOWN)
    .prepare(name);

/**
 * Everything the live job page shows, in one read: rounds with the global model's validation
 * (pooled and per site), the participation timeline, the job log and progress with an ETA.
 *
 * Round r's model is measured by the sites at the start of round r+1 (before they train on it),
 * and the last round's by the final evaluation, so the chart point for round r appears once the
 * next round's first update arrives. Round 0 is the starting version.
 */
export async function getJobDetail(db: Database, { projectId, jobId }: { projectId: string; jobId: string }) {
  const [row] = await prepared(db, "flip_job_detail_job", jobQuery).execute({ jobId, projectId });
  if (!row) throw new AppError("NOT_FOUND", "No job with that id in this project.");
  const { job } = row;

  // The four reads depend only on the job, so they run at once on the pool rather than one after another.
  const [rounds, updates, tasks, events] = await Promise.all([
    prepared(db, "flip_job_detail_rounds", roundsQuery).execute({ jobId }),
    prepared(db, "flip_job_detail_updates", updatesQuery).execute({ jobId }),
    prepared(db, "flip_job_detail_tasks", tasksQuery).execute({ jobId }),
    prepared(db, "flip_job_detail_events", eventsQuery).execute({ jobId }),
  ]);

  const updatesOf = (roundId: string) => updates.filter((u) => u.roundId === roundId);
  // Validation of the model that came OUT of each round (index = round number; 0 = starting version).
  const validation = new Map<number, { pooled: PooledMetrics | null; perSite: SiteMetrics[] }>();
  for (const { round } of rounds) {
    const perSite = globalValidationOf(updatesOf(round.id));
    if (perSite.length) validation.set(round.number - 1, { pooled: poolMetrics(perSite), perSite });
  }
  // Round 0 holds the evaluate tasks (a training job's final evaluation, or an evaluate job's).
  const evaluation = tasks
    .filter((t) => t.round === 0 && t.status === "done")
    .filter((t) => isTaskOfKind(t, "evaluate"))
    .map((t) => evaluationOf(t.siteCode, t.result!));
  if (evaluation.length)
    validation.set(job.kind === "train" ? job.totalRounds : 0, {
      pooled: poolMetrics(evaluation),
      perSite: evaluation,
    });

  const closed = rounds.filter((r) => r.round.closedAt);
  const meanRoundMs = closed.length
    ? closed.reduce((n, r) => n + (r.round.closedAt!.getTime() - r.round.startedAt.getTime()), 0) / closed.length
    : null;
  const remaining =
    job.kind === "train" ? job.totalRounds - closed.filter((r) => r.round.status === "closed").length : 0;
  const isActive = job.status === "running" || job.status === "queued";

  return {
    job: { ...job, modelName: row.modelName, startVersion: row.startVersion },
    progress: {
      roundsDone: closed.filter((r) => r.round.status === "closed").length,
      totalRounds: job.totalRounds,
      etaSeconds:
        isActive && meanRoundMs !== null && remaining > 0 ? Math.round((meanRoundMs * remaining) / 1000) : null,
      meanRoundSeconds: meanRoundMs === null ? null : Math.round(meanRoundMs / 100) / 10,
    },
    rounds: rounds.map(({ round, resultVersion }) => ({
      number: round.number,
      status: round.status,
      startedAt: round.startedAt,
      closedAt: round.closedAt,
      deadlineAt: round.deadlineAt,
      expectedSites: round.expectedSites,
      returned: updatesOf(round.id).length,
      resultVersion,
      updates: updatesOf(round.id).map((u) => ({
        siteCode: u.siteCode,
        examples: u.exampleCount,
        byteSize: u.byteSize,
        norm: u.norm,
        receivedAt: u.receivedAt,
        backend: u.result.backend,
        trainLoss: u.result.trainLoss,
        localValidation: u.result.localValidation,
      })),
    })),
    validation: [...validation.entries()].sort((a, b) => a[0] - b[0]).map(([round, v]) => ({ round, ...v })),
    participation: tasks.map(({ kind: _kind, result: _result, ...t }) => t),
    events: events.reverse(),
  };
}
