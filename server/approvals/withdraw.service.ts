import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { approvalDecisions, projectRevisions, projects, siteApprovals, sites, siteTasks } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { AppError } from "@/server/errors";
import { queueWithdrawalNotices } from "@/server/notifications/approval-notices";
import { cancelOpenTasks } from "@/server/tasks/task-interventions";
import type { TWithdrawInput } from "./approvals.schema";

const NOTHING_TO_WITHDRAW = {
  pending: "This request has not been approved, so there is nothing to withdraw; decline it instead.",
  declined: "This revision was declined: nothing runs on it, so there is nothing to withdraw.",
  withdrawn: "This approval is already withdrawn.",
} as const;

/**
 * Suspends an approval the site gave: the project's queued and running tasks at the site are
 * cancelled in the same transaction (workers stop a running one at their next heartbeat), and
 * dispatch sends the site nothing more for it, since only approved revisions receive work. Only a
 * new decision reinstates it. The site's other approvers are told by e-mail, the researchers on
 * the project page.
 */
export async function withdrawApproval(db: Database, approver: UserActor, input: TWithdrawInput) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({
        status: siteApprovals.status,
        revisionId: siteApprovals.revisionId,
        number: projectRevisions.number,
        bundleHash: projectRevisions.bundleHash,
        projectId: projects.id,
        projectTitle: projects.title,
        projectStatus: projects.status,
        currentRevisionId: projects.currentRevisionId,
        siteCode: sites.code,
      })
      .from(siteApprovals)
      .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
      .innerJoin(projects, eq(projects.id, projectRevisions.projectId))
      .innerJoin(sites, eq(sites.id, siteApprovals.siteId))
      .where(and(eq(siteApprovals.id, input.approvalId), eq(siteApprovals.siteId, input.siteId)))
      // Dispatch reads approvals FOR SHARE: work it is queuing now commits first and is cancelled below.
      .for("update", { of: siteApprovals });
    if (!row) throw new AppError("NOT_FOUND", "No such approval for this site.");
    if (row.status !== "approved")
      throw new AppError("CONFLICT", `${NOTHING_TO_WITHDRAW[row.status]} Nothing was changed.`);
    if (row.currentRevisionId !== row.revisionId)
      throw new AppError(
        "CONFLICT",
        `This approval covers revision ${row.number}, which the project has since replaced: it lets nothing run any more. Nothing was changed.`,
      );
    if (row.projectStatus === "closed")
      throw new AppError(
        "PRECONDITION_FAILED",
        "This project is closed: nothing runs on it any more. Nothing was changed.",
      );

    const decidedAt = new Date();
    await tx
      .update(siteApprovals)
      .set({ status: "withdrawn", decidedBy: approver.id, decidedAt, comment: input.reason })
      .where(eq(siteApprovals.id, input.approvalId));
    await tx.insert(approvalDecisions).values({
      approvalId: input.approvalId,
      siteId: input.siteId,
      decision: "withdrawn",
      bundleHash: row.bundleHash,
      decidedBy: approver.id,
      decidedAt,
      comment: input.reason,
    });
    const open = await tx
      .select({ id: siteTasks.id })
      .from(siteTasks)
      .where(
        and(
          eq(siteTasks.siteId, input.siteId),
          inArray(siteTasks.status, ["queued", "leased"]),
          sql`${siteTasks.payload}->>'projectId' = ${row.projectId}`,
        ),
      );
    const cancelled = await cancelOpenTasks(
      tx,
      approver,
      open.map((t) => t.id),
      `${row.siteCode} withdrew its approval of this project.`,
    );
    await recordAudit(tx, {
      actor: approver,
      action: "approval.withdrawn",
      subject: `project:${row.projectId}`,
      details: {
        siteId: input.siteId,
        revision: row.number,
        bundleHash: row.bundleHash,
        reason: input.reason,
        tasksCancelled: cancelled.length,
      },
    });
    await queueWithdrawalNotices(tx, {
      siteId: input.siteId,
      siteCode: row.siteCode,
      projectTitle: row.projectTitle,
      revisionNumber: row.number,
      reason: input.reason,
      withdrawnBy: approver,
    });
    return { tasksCancelled: cancelled.length };
  });
}
