import type { Metadata } from "next";
import { RegisterPage } from "./register-page";

export const metadata: Metadata = { title: "Register a model" };

export default async function NewModelPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  return <RegisterPage projectId={projectId} />;
}
