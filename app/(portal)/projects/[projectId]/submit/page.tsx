import type { Metadata } from "next";
import { SubmitPage } from "./submit-page";

export const metadata: Metadata = { title: "Submit for approval" };

export default async function SubmitForApprovalPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return <SubmitPage projectId={projectId} />;
}
