import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { getViewer } from "@/server/auth/session";
import { AppShell } from "../_components/app-shell";

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  // The order of sign-in's remaining steps: prove the second factor, replace a temporary password, set up a factor.
  if (viewer.secondFactor === "verify") redirect("/signin/verify");
  if (viewer.mustChangePassword) redirect("/account/password");
  if (viewer.secondFactor === "enrol") redirect("/account/enrol");
  return <AppShell viewer={viewer}>{children}</AppShell>;
}
