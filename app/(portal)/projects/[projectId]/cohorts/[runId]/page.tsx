import type { Metadata } from "next";
import { RunResults } from "./run-results";

export const metadata: Metadata = { title: "Cohort results" };

export default async function CohortRunPage({ params }: { params: Promise<{ projectId: string; runId: string }> }) {
  const { projectId, runId } = await params;
  return <RunResults projectId={projectId} runId={runId} />;
}
