import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZApprovalRef } from "@/server/approvals/approvals.schema";
import { hasAccess } from "@/server/auth/permissions";
import { getViewer } from "@/server/auth/session";
import { ApprovalRequest } from "./approval-request";

export const metadata: Metadata = { title: "Approval request" };

export default async function ApprovalRequestPage({
  params,
}: {
  params: Promise<{ siteId: string; approvalId: string }>;
}) {
  const { siteId, approvalId } = await params;
  if (!ZApprovalRef.safeParse({ siteId, approvalId }).success) notFound();
  const viewer = await getViewer();
  // Approvers act only for their own site; another site's request is simply not there for them.
  if (!hasAccess(viewer, "approvals:read", siteId)) notFound();
  const grant = viewer?.grants.find((g) => g.role === "approver" && g.siteId === siteId);
  return <ApprovalRequest siteId={siteId} approvalId={approvalId} siteCode={grant?.siteCode ?? "this site"} />;
}
