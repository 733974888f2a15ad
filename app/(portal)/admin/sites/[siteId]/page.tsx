import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZSiteIdInput } from "@/server/sites/sites.schema";
import { SiteView } from "./site-view";

export const metadata: Metadata = { title: "Site" };

export default async function SitePage({ params }: { params: Promise<{ siteId: string }> }) {
  const { siteId } = await params;
  if (!ZSiteIdInput.safeParse({ siteId }).success) notFound();
  return <SiteView siteId={siteId} />;
}
