import { forbidden, redirect } from "next/navigation";
import type { ReactNode } from "react";
import { hasAccess } from "@/server/auth/permissions";
import { getViewer } from "@/server/auth/session";

export default async function ApprovalsLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (!hasAccess(viewer, "approvals:read")) forbidden();
  return children;
}
