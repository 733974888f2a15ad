import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { z } from "zod";
import { hasAccess } from "@/server/auth/permissions";
import { getViewer } from "@/server/auth/session";
import { DecisionHistory } from "./decision-history";

export const metadata: Metadata = { title: "Decision history" };

export default async function DecisionHistoryPage({ params }: { params: Promise<{ siteId: string }> }) {
  const { siteId } = await params;
  if (!z.uuid().safeParse(siteId).success) notFound();
  const viewer = await getViewer();
  // Another site's history is simply not there for this approver.
  if (!hasAccess(viewer, "approvals:read", siteId)) notFound();
  const grant = viewer?.grants.find((g) => g.role === "approver" && g.siteId === siteId);
  return <DecisionHistory siteId={siteId} siteCode={grant?.siteCode ?? "this site"} />;
}
