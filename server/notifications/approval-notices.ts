import { eq, inArray } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { projectRevisions, projects, siteApprovals, sites } from "@/db/schema";
import type { UserActor } from "@/server/auth/actor";
import { getHubConfig } from "@/server/config";
import { queueEmails, siteApproverIds } from "./outbox";

/*
 * What a site's approvers are told by e-mail: a request waiting for them, and an approval of their
 * site withdrawn by one of them. The in-app notices (the Approvals badge, the project page) show
 * the same without e-mail. Mail carries titles, codes and links only, never a bundle's content.
 */

function portalLink(path: string): string {
  const base = getHubConfig().NEXTAUTH_URL;
  return base ? new URL(path, base).toString() : `the portal, at ${path}`;
}

/** Tells each requested site's approvers that a revision waits for their decision. */
export async function queueRequestNotices(tx: Tx, approvalIds: readonly string[]): Promise<void> {
  if (approvalIds.length === 0) return;
  const asked = await tx
    .select({
      approvalId: siteApprovals.id,
      siteId: sites.id,
      siteCode: sites.code,
      projectTitle: projects.title,
      revisionNumber: projectRevisions.number,
      bundleHash: projectRevisions.bundleHash,
    })
    .from(siteApprovals)
    .innerJoin(sites, eq(sites.id, siteApprovals.siteId))
    .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
    .innerJoin(projects, eq(projects.id, projectRevisions.projectId))
    .where(inArray(siteApprovals.id, [...approvalIds]));
  const approvers = await siteApproverIds(
    tx,
    asked.map((a) => a.siteId),
  );
  for (const request of asked) {
    await queueEmails(
      tx,
      approvers.filter((a) => a.siteId === request.siteId).map((a) => a.userId),
      {
        kind: "approval_requested",
        subject: `${request.siteCode}: approval requested for "${request.projectTitle}" (revision ${request.revisionNumber})`,
        body: [
          `Researchers ask to use ${request.siteCode}'s data for the project "${request.projectTitle}", revision ${request.revisionNumber}.`,
          `Bundle hash: ${request.bundleHash}`,
          `Review the bundle and decide: ${portalLink(`/approvals/${request.siteId}/${request.approvalId}`)}`,
        ].join("\n"),
      },
    );
  }
}

/** Tells the site's other approvers that one of them withdrew an approval, and why. */
export async function queueWithdrawalNotices(
  tx: Tx,
  notice: {
    siteId: string;
    siteCode: string;
    projectTitle: string;
    revisionNumber: number;
    reason: string;
    withdrawnBy: UserActor;
  },
): Promise<void> {
  const approvers = await siteApproverIds(tx, [notice.siteId], notice.withdrawnBy.id);
  await queueEmails(
    tx,
    approvers.map((a) => a.userId),
    {
      kind: "approval_withdrawn",
      subject: `${notice.siteCode}: approval of "${notice.projectTitle}" withdrawn`,
      body: [
        `${notice.withdrawnBy.email} withdrew ${notice.siteCode}'s approval of "${notice.projectTitle}", revision ${notice.revisionNumber}.`,
        `Reason: ${notice.reason}`,
        `The project's queued and running tasks at ${notice.siteCode} were cancelled and no new ones are sent until an approver decides again.`,
        `Decision history: ${portalLink(`/approvals/${notice.siteId}/history`)}`,
      ].join("\n"),
    },
  );
}
