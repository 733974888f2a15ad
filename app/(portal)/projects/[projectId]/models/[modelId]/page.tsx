import type { Metadata } from "next";
import { RegistryPage } from "./registry-page";

export const metadata: Metadata = { title: "Model" };

export default async function ModelPage({ params }: { params: Promise<{ projectId: string; modelId: string }> }) {
  const { projectId, modelId } = await params;
  return <RegistryPage projectId={projectId} modelId={modelId} />;
}
