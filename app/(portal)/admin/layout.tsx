import { forbidden, redirect } from "next/navigation";
import type { ReactNode } from "react";
import { hasRole } from "@/server/auth/permissions";
import { getViewer } from "@/server/auth/session";

export default async function AdminLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (!hasRole(viewer, "admin")) forbidden();
  return children;
}
