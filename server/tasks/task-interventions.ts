import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { siteTasks, type SiteTask } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { recordAudit, recordAudits } from "@/server/audit/audit.service";
import { AppError } from "@/server/errors";
import { notifySites, subjectOf, type SiteRef } from "./tasks.service";

/*
 * The hub's changes to tasks it queued: cancelling them (by an admin, a cancelled job or a
 * withdrawn round) and putting done ones back in the queue when their result was lost.
 */

/** Done tasks whose result the hub lost (a portal process stopped holding it) go back in the queue. */
export async function requeueCompletedTasks(tx: Tx, actor: Actor, taskIds: readonly string[], reason: string) {
  if (taskIds.length === 0) return;
  const tasks = await tx
    .update(siteTasks)
    .set({
      status: "queued",
      leaseId: null,
      leaseExpiresAt: null,
      progress: 0,
      progressMessage: null,
      result: null,
      finishedAt: null,
      attempt: sql`greatest(${siteTasks.attempt} - 1, 0)`,
    })
    .where(and(inArray(siteTasks.id, [...taskIds]), eq(siteTasks.status, "done")))
    .returning();
  await recordAudits(
    tx,
    tasks.map((task) => ({
      actor,
      action: "task.requeued",
      subject: subjectOf(task.id),
      details: { kind: task.kind, reason },
    })),
  );
  await notifySites(
    tx,
    tasks.map((t) => t.siteId),
  );
}

export async function cancelTask(db: Database, actor: Actor, { taskId }: { taskId: string }) {
  return db.transaction(async (tx) => {
    const [task] = await cancelOpenTasks(tx, actor, [taskId], "Cancelled by an admin.");
    if (task) return task;
    const [exists] = await tx.select({ status: siteTasks.status }).from(siteTasks).where(eq(siteTasks.id, taskId));
    if (!exists) throw new AppError("NOT_FOUND", "No task with that id.");
    throw new AppError("CONFLICT", `This task already ended as ${exists.status}; there is nothing to cancel.`);
  });
}

/** Cancels those of the tasks still queued or leased, inside the caller's transaction; their workers hear of it on the next heartbeat. */
export async function cancelOpenTasks(tx: Tx, actor: Actor, taskIds: string[], reason: string): Promise<SiteTask[]> {
  if (taskIds.length === 0) return [];
  const cancelled = await tx
    .update(siteTasks)
    .set({ status: "cancelled", leaseExpiresAt: null, finishedAt: sql`now()`, failureMessage: reason })
    .where(and(inArray(siteTasks.id, taskIds), inArray(siteTasks.status, ["queued", "leased"])))
    .returning();
  for (const task of cancelled)
    await recordAudit(tx, {
      actor,
      action: "task.cancelled",
      subject: subjectOf(task.id),
      details: { kind: task.kind, reason },
    });
  return cancelled;
}

/** Of the tasks a worker says it is running, those the hub has cancelled. */
export async function listCancelledTaskIds(
  db: Database,
  site: SiteRef,
  { taskIds }: { taskIds: string[] },
): Promise<string[]> {
  if (taskIds.length === 0) return [];
  const rows = await db
    .select({ id: siteTasks.id })
    .from(siteTasks)
    .where(and(eq(siteTasks.siteId, site.id), inArray(siteTasks.id, taskIds), eq(siteTasks.status, "cancelled")));
  return rows.map((r) => r.id);
}
