import type { Metadata } from "next";
import { CardPage } from "./card-page";

export const metadata: Metadata = { title: "Model card" };

export default async function ModelCardPage({
  params,
  searchParams,
}: {
  params: Promise<{ projectId: string; modelId: string }>;
  searchParams: Promise<{ version?: string | string[] }>;
}) {
  const { projectId, modelId } = await params;
  const { version } = await searchParams;
  return (
    <CardPage projectId={projectId} modelId={modelId} versionId={typeof version === "string" ? version : undefined} />
  );
}
