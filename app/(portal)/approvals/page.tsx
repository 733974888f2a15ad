import type { Metadata } from "next";
import { PageHeader } from "@/app/_components/ui/page-header";
import { ApprovalSites } from "./approval-sites";

export const metadata: Metadata = { title: "Approvals" };

export default function ApprovalsPage() {
  return (
    <>
      <PageHeader
        title="Approvals"
        description="You decide, for your site only, whether a project may use its data. Nobody else, not even a platform admin, can approve on your site's behalf."
      />
      <ApprovalSites />
    </>
  );
}
