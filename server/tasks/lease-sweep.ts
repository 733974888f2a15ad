import { and, eq, lt, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { siteTasks } from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import { recordAudit } from "@/server/audit/audit.service";
import { notifySite, subjectOf } from "./tasks.service";

/**
 * Returns tasks whose lease ran out to the queue (or fails them once attempts are used up), and
 * expires queued tasks past their deadline. Safe to run from several portal processes at once.
 */
export async function sweepExpiredTasks(db: Database): Promise<{ requeued: number; failed: number; expired: number }> {
  return db.transaction(async (tx) => {
    const lapsed = await tx
      .update(siteTasks)
      .set({
        status: sql`CASE WHEN ${siteTasks.attempt} >= ${siteTasks.maxAttempts} THEN 'failed'::task_status ELSE 'queued'::task_status END`,
        failureCode: "lease_expired",
        failureMessage: sql`'No progress from the site within ' || (${siteTasks.leaseMs} / 1000) || ' s (attempt ' || ${siteTasks.attempt} || ' of ' || ${siteTasks.maxAttempts} || ')'`,
        leaseExpiresAt: null,
        finishedAt: sql`CASE WHEN ${siteTasks.attempt} >= ${siteTasks.maxAttempts} THEN now() ELSE NULL END`,
      })
      .where(and(eq(siteTasks.status, "leased"), lt(siteTasks.leaseExpiresAt, sql`now()`)))
      .returning({
        id: siteTasks.id,
        siteId: siteTasks.siteId,
        status: siteTasks.status,
        attempt: siteTasks.attempt,
        kind: siteTasks.kind,
      });
    const overdue = await tx
      .update(siteTasks)
      .set({ status: "expired", finishedAt: sql`now()`, failureMessage: "Not claimed before its deadline" })
      .where(and(eq(siteTasks.status, "queued"), lt(siteTasks.deadlineAt, sql`now()`)))
      .returning({ id: siteTasks.id, kind: siteTasks.kind });
    const system: Actor = { type: "system", label: "lease-sweeper" };
    for (const t of lapsed) {
      const action = t.status === "failed" ? "task.failed" : "task.lease_expired";
      await recordAudit(tx, {
        actor: system,
        action,
        subject: subjectOf(t.id),
        details: { kind: t.kind, attempt: t.attempt, code: "lease_expired" },
      });
      if (t.status === "queued") await notifySite(tx, t.siteId);
    }
    for (const t of overdue)
      await recordAudit(tx, {
        actor: system,
        action: "task.expired",
        subject: subjectOf(t.id),
        details: { kind: t.kind },
      });
    const failed = lapsed.filter((t) => t.status === "failed").length;
    return { requeued: lapsed.length - failed, failed, expired: overdue.length };
  });
}
