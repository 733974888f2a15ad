import { and, count, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { jobs, jobTasks, roundUpdates, siteTasks, trainingRounds } from "@/db/schema";
import { cancelOpenTasks } from "@/server/tasks/task-interventions";
import { isTaskOpen, jobActor, loadJobContext, roundTasks } from "./job-context";
import { closeRound } from "./round-close";
import { finishEvaluation } from "./rounds.service";

/**
 * Moves running jobs along when no update arrives to do it: closes a round at its deadline or
 * once every site has either reported or dropped out, and finishes an evaluation when its last
 * task ends. All state is in the database, so after a hub restart the first pass picks every
 * running job up where it stopped. Each job is handled under its row lock (SKIP LOCKED), so
 * several portal processes can run this at once.
 */
export async function advanceJobs(db: Database): Promise<number> {
  const running = await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.status, "running"));
  let advanced = 0;
  for (const { id } of running) {
    if (await advanceJob(db, id)) advanced++;
  }
  return advanced;
}

/**
 * One job's next step, if it has one. The coordinator skips a job another transaction holds; the
 * update route and a process that has just published its partial sum wait for it instead
 * (`wait`), so a round whose last update just arrived closes now rather than at the next tick.
 */
export async function advanceJob(db: Database, jobId: string, { wait = false } = {}): Promise<boolean> {
  if (!wait && (await isRoundWaiting(db, jobId))) return false;
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.status, "running")))
      // NO KEY UPDATE: updates being accepted insert job events that reference the job (key share) while holding the round.
      .for("no key update", wait ? {} : { skipLocked: true });
    if (!locked) return false;
    const ctx = await loadJobContext(tx, jobId);
    if (ctx.job.kind === "train") {
      const [round] = await tx
        // The whole row (no large values): a close goes on from it without reading it again.
        .select({ round: trainingRounds, isPastDeadline: sql<boolean>`${trainingRounds.deadlineAt} < now()` })
        .from(trainingRounds)
        .where(and(eq(trainingRounds.jobId, jobId), eq(trainingRounds.status, "open")))
        .for("update", { of: trainingRounds });
      if (round) {
        const tasks = await roundTasks(tx, jobId, round.round.number);
        if (round.isPastDeadline) return closeRound(db, tx, ctx, round, "deadline");
        const [{ received }] = (await tx
          .select({ received: count() })
          .from(roundUpdates)
          .where(eq(roundUpdates.roundId, round.round.id))) as [{ received: number }];
        if (received >= round.round.expectedSites) return closeRound(db, tx, ctx, round, "all_reported");
        if (tasks.length > 0 && !tasks.some((t) => isTaskOpen(t.status)))
          return closeRound(db, tx, ctx, round, "dropouts");
        return false;
      }
    }
    const evaluation = await roundTasks(tx, jobId, 0);
    if (evaluation.length === 0) return false;
    const open = evaluation.filter((t) => isTaskOpen(t.status));
    if (open.length > 0 && !open.every((t) => t.isPastDeadline)) return false;
    // Past the deadline a site still evaluating (its worker gone mid-task) is dropped like a late round update.
    await cancelOpenTasks(
      tx,
      jobActor,
      open.map((t) => t.taskId),
      "No evaluation by the deadline.",
    );
    await finishEvaluation(tx, ctx, await roundTasks(tx, jobId, 0));
    return true;
  });
}

/**
 * The coordinator's usual finding, read without a lock: the job's open round is before its
 * deadline, short of updates and has tasks still open, so there is nothing to do. Locking the
 * round to find that out (FOR UPDATE) would hold up every update arriving meanwhile, each tick.
 * An update that lands just after this look closes the round itself (advanceJob with `wait`).
 */
async function isRoundWaiting(db: Database, jobId: string): Promise<boolean> {
  const [open] = await db
    .select({ id: trainingRounds.id })
    .from(trainingRounds)
    .where(
      and(
        eq(trainingRounds.jobId, jobId),
        eq(trainingRounds.status, "open"),
        sql`NOT coalesce(${trainingRounds.deadlineAt} < now(), false)`,
        sql`(SELECT count(*) FROM ${roundUpdates} WHERE ${roundUpdates.roundId} = ${trainingRounds.id}) < ${trainingRounds.expectedSites}`,
        sql`EXISTS (SELECT 1 FROM ${jobTasks} JOIN ${siteTasks} ON ${siteTasks.id} = ${jobTasks.taskId}
          WHERE ${jobTasks.jobId} = ${trainingRounds.jobId} AND ${jobTasks.round} = ${trainingRounds.number}
            AND ${siteTasks.status} IN ('queued', 'leased'))`,
      ),
    )
    .limit(1);
  return open !== undefined;
}
