import type { Metadata } from "next";
import { NewJobPage } from "./new-job-page";

export const metadata: Metadata = { title: "Start a job" };

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export default async function StartJobPage({
  params,
  searchParams,
}: {
  params: Promise<{ projectId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { projectId } = await params;
  const query = await searchParams;
  return (
    <NewJobPage
      projectId={projectId}
      kind={first(query.kind) === "evaluate" ? "evaluate" : "train"}
      modelId={first(query.modelId)}
      versionId={first(query.versionId)}
    />
  );
}
