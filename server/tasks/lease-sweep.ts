import { and, eq, inArray, lt, sql, type SQL } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { siteTasks } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/audit.service";
import type { FailureCode } from "@/protocol/contract";
import { notifySite, siteActor, type SiteRef, subjectOf } from "./tasks.service";

/**
 * How long after its lease a task must show in its site's heartbeats (`tasksInFlight`): a worker
 * lists a task from the moment its claim's answer arrives, so a lease older than this that its
 * heartbeat does not list is one the worker never learnt of (the answer was lost when the hub
 * stopped) or lost (the worker restarted). Far above a claim answer's time in transit.
 */
export const UNLISTED_LEASE_GRACE_SECONDS = 30;

/**
 * Ends the leases `where` selects (among leased tasks): each task goes back to the queue, or fails
 * once its attempts are used up, with `code` and `why` (the attempt is appended), audited and its
 * site's claims woken.
 */
async function lapseLeases(
  tx: Tx,
  where: SQL | undefined,
  { code, why, actor }: { code: FailureCode; why: SQL; actor: Actor },
): Promise<{ requeued: number; failed: number }> {
  const lapsed = await tx
    .update(siteTasks)
    .set({
      status: sql`CASE WHEN ${siteTasks.attempt} >= ${siteTasks.maxAttempts} THEN 'failed'::task_status ELSE 'queued'::task_status END`,
      failureCode: code,
      failureMessage: sql`${why} || ' (attempt ' || ${siteTasks.attempt} || ' of ' || ${siteTasks.maxAttempts} || ')'`,
      leaseExpiresAt: null,
      finishedAt: sql`CASE WHEN ${siteTasks.attempt} >= ${siteTasks.maxAttempts} THEN now() ELSE NULL END`,
    })
    .where(and(eq(siteTasks.status, "leased"), where))
    .returning({
      id: siteTasks.id,
      siteId: siteTasks.siteId,
      status: siteTasks.status,
      attempt: siteTasks.attempt,
      kind: siteTasks.kind,
    });
  for (const t of lapsed) {
    await recordAudit(tx, {
      actor,
      action: t.status === "failed" ? "task.failed" : `task.${code}`,
      subject: subjectOf(t.id),
      details: { kind: t.kind, attempt: t.attempt, code },
    });
    if (t.status === "queued") await notifySite(tx, t.siteId);
  }
  const failed = lapsed.filter((t) => t.status === "failed").length;
  return { requeued: lapsed.length - failed, failed };
}

/**
 * Returns tasks whose lease ran out to the queue (or fails them once attempts are used up), and
 * expires queued tasks past their deadline. Safe to run from several portal processes at once.
 */
export async function sweepExpiredTasks(db: Database): Promise<{ requeued: number; failed: number; expired: number }> {
  return db.transaction(async (tx) => {
    const system: Actor = { type: "system", label: "lease-sweeper" };
    const lapsed = await lapseLeases(tx, lt(siteTasks.leaseExpiresAt, sql`now()`), {
      code: "lease_expired",
      why: sql`'No progress from the site within ' || (${siteTasks.leaseMs} / 1000) || ' s'`,
      actor: system,
    });
    const overdue = await tx
      .update(siteTasks)
      .set({ status: "expired", finishedAt: sql`now()`, failureMessage: "Not claimed before its deadline" })
      .where(and(eq(siteTasks.status, "queued"), lt(siteTasks.deadlineAt, sql`now()`)))
      .returning({ id: siteTasks.id, kind: siteTasks.kind });
    for (const t of overdue)
      await recordAudit(tx, {
        actor: system,
        action: "task.expired",
        subject: subjectOf(t.id),
        details: { kind: t.kind },
      });
    return { ...lapsed, expired: overdue.length };
  });
}

/**
 * Ends the leases of `site` that its worker's heartbeat shows it does not hold (`taskIds`, found by
 * the heartbeat's own statement): leased more than UNLISTED_LEASE_GRACE_SECONDS ago and not in the
 * list. Without this such a task sat leased until its lease ran out (two minutes for training,
 * longer than many a round's deadline) and the site missed the round. Each task counts the attempt,
 * as a lapsed lease does: a task that keeps killing its worker still ends up failed.
 */
export async function lapseUnlistedLeases(db: Database, site: SiteRef, taskIds: string[]): Promise<void> {
  await db.transaction((tx) =>
    lapseLeases(
      tx,
      and(
        eq(siteTasks.siteId, site.id),
        inArray(siteTasks.id, taskIds),
        // Checked again under the row locks: a lease renewed or re-taken meanwhile is left alone.
        lt(siteTasks.leasedAt, sql`now() - make_interval(secs => ${UNLISTED_LEASE_GRACE_SECONDS})`),
      ),
      {
        code: "lease_abandoned",
        why: sql`${`The site's worker no longer held this task: its heartbeat did not list it ${UNLISTED_LEASE_GRACE_SECONDS} s after the lease (the claim's answer was lost, or the worker restarted)`}`,
        actor: siteActor(site),
      },
    ),
  );
}
