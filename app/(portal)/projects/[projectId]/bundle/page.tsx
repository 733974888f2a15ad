import type { Metadata } from "next";
import { BundlePage } from "./bundle-page";

export const metadata: Metadata = { title: "Governance bundle" };

export default async function EditBundlePage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return <BundlePage projectId={projectId} />;
}
