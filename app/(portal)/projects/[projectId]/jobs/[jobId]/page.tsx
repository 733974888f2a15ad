import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { ZJobRef } from "@/server/jobs/jobs.schema";
import { JobDashboard } from "./job-dashboard";

export const metadata: Metadata = { title: "Job" };

export default async function JobPage({ params }: { params: Promise<{ projectId: string; jobId: string }> }) {
  const { projectId, jobId } = await params;
  if (!ZJobRef.safeParse({ projectId, jobId }).success) notFound();
  return <JobDashboard projectId={projectId} jobId={jobId} />;
}
