import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZSiteIdInput } from "@/server/sites/sites.schema";
import { EditSite } from "./edit-site";

export const metadata: Metadata = { title: "Site" };

export default async function SitePage({ params }: { params: Promise<{ siteId: string }> }) {
  const { siteId } = await params;
  if (!ZSiteIdInput.safeParse({ siteId }).success) notFound();
  return <EditSite siteId={siteId} />;
}
