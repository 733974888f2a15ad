import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { prepared } from "@/server/database/prepared";
import { AppError } from "@/server/errors";
import { isTaskOfKind } from "@/protocol/tasks";
import { evaluationOf, globalValidationOf, poolMetrics, type PooledMetrics, type SiteMetrics } from "./pool-metrics";

const EVENTS_SHOWN = 300;

// The job page polls this while a job runs: one statement, prepared once per pool (server/database/prepared.ts).
const detailQuery = (db: Database, name: string) =>
  db.query.jobs
    .findFirst({
      where: (job, { and, eq }) =>
        and(eq(job.id, sql.placeholder("jobId")), eq(job.projectId, sql.placeholder("projectId"))),
      with: {
        model: { columns: { name: true } },
        startVersion: { columns: { number: true } },
        rounds: {
          orderBy: (round, { asc }) => [asc(round.number)],
          with: {
            resultVersion: { columns: { number: true } },
            updates: {
              columns: { exampleCount: true, byteSize: true, updateNorm: true, result: true, receivedAt: true },
              with: { site: { columns: { code: true } } },
            },
          },
        },
        tasks: {
          columns: { round: true },
          with: {
            site: { columns: { code: true } },
            task: {
              columns: {
                status: true,
                attempt: true,
                progress: true,
                progressMessage: true,
                failureMessage: true,
                createdAt: true,
                leasedAt: true,
                finishedAt: true,
                kind: true,
                result: true,
              },
            },
          },
        },
        events: { orderBy: (event, { desc }) => [desc(event.seq)], limit: EVENTS_SHOWN },
      },
    })
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
  const found = await prepared(db, "flip_job_detail", detailQuery).execute({ jobId, projectId });
  if (!found) throw new AppError("NOT_FOUND", "No job with that id in this project.");
  const { model, startVersion, rounds: roundRows, tasks: dispatched, events, ...job } = found;
  const rounds = roundRows.map(({ resultVersion, updates, ...round }) => ({
    round,
    resultVersion: resultVersion?.number ?? null,
    updates: updates.map(({ site, updateNorm, ...u }) => ({ siteCode: site.code, norm: updateNorm, ...u })),
  }));
  const tasks = dispatched
    .map(({ round, site, task }) => ({ round, siteCode: site.code, ...task }))
    .sort((a, b) => a.round - b.round || a.siteCode.localeCompare(b.siteCode));

  // Validation of the model that came OUT of each round (index = round number; 0 = starting version).
  const validation = new Map<number, { pooled: PooledMetrics | null; perSite: SiteMetrics[] }>();
  for (const { round, updates } of rounds) {
    const perSite = globalValidationOf(updates);
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
    job: { ...job, modelName: model.name, startVersion: startVersion.number },
    progress: {
      roundsDone: closed.filter((r) => r.round.status === "closed").length,
      totalRounds: job.totalRounds,
      etaSeconds:
        isActive && meanRoundMs !== null && remaining > 0 ? Math.round((meanRoundMs * remaining) / 1000) : null,
      meanRoundSeconds: meanRoundMs === null ? null : Math.round(meanRoundMs / 100) / 10,
    },
    rounds: rounds.map(({ round, resultVersion, updates }) => ({
      number: round.number,
      status: round.status,
      startedAt: round.startedAt,
      closedAt: round.closedAt,
      deadlineAt: round.deadlineAt,
      expectedSites: round.expectedSites,
      returned: updates.length,
      resultVersion,
      updates: updates.map((u) => ({
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
