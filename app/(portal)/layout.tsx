import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getViewer } from "@/server/auth/session";
import { AppShell } from "../_components/app-shell";

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (viewer.mustChangePassword) redirect("/account/password");
  return <AppShell viewer={viewer}>{children}</AppShell>;
}
