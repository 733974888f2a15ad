import type { Metadata } from "next";
import { forbidden, redirect } from "next/navigation";
import { hasAccess } from "@/server/auth/permissions";
import { getViewer } from "@/server/auth/session";
import { PageHeader } from "@/app/_components/ui/page-header";
import { SiteDirectory } from "./site-directory";

export const metadata: Metadata = { title: "Network" };

export default async function NetworkPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  if (!hasAccess(viewer, "network:read")) forbidden();
  return (
    <>
      <PageHeader
        title="Network"
        description="The NHS Trusts taking part in the federation. Models travel to each Trust; patient-level data never leaves it."
      />
      <SiteDirectory />
    </>
  );
}
