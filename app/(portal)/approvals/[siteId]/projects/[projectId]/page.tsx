import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZSiteProjectInput } from "@/server/approvals/approvals.schema";
import { hasAccess } from "@/server/auth/permissions";
import { getViewer } from "@/server/auth/session";
import { ProjectActivity } from "./project-activity";

export const metadata: Metadata = { title: "What ran at your site" };

export default async function ProjectActivityPage({
  params,
}: {
  params: Promise<{ siteId: string; projectId: string }>;
}) {
  const { siteId, projectId } = await params;
  if (!ZSiteProjectInput.safeParse({ siteId, projectId }).success) notFound();
  const viewer = await getViewer();
  if (!hasAccess(viewer, "approvals:read", siteId)) notFound();
  const grant = viewer?.grants.find((g) => g.role === "approver" && g.siteId === siteId);
  return <ProjectActivity siteId={siteId} projectId={projectId} siteCode={grant?.siteCode ?? "this site"} />;
}
