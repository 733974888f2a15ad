import type { Metadata } from "next";
import { PageHeader } from "@/app/_components/ui/page-header";
import { CreateSiteForm } from "./create-site-form";
import { SitesList } from "./sites-list";

export const metadata: Metadata = { title: "Sites" };

export default function SitesPage() {
  return (
    <>
      <PageHeader
        title="Sites"
        description="The NHS Trusts registered with the hub. Each site runs its own worker and keeps its patient data on its own network."
      />
      <div className="space-y-8">
        <CreateSiteForm />
        <SitesList />
      </div>
    </>
  );
}
