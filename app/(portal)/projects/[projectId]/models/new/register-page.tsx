"use client";

import { Alert } from "@/app/_components/ui/alert";
import { BackLink } from "@/app/_components/ui/back-link";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { messageOf } from "@/app/_trpc/errors";
import { useProject } from "../../use-project";
import { canWriteModels } from "../_components/format";
import { RegisterForm } from "./register-form";

export function RegisterPage({ projectId }: { projectId: string }) {
  const project = useProject(projectId);
  if (project.isPending) return <Loading label="Loading project…" />;
  if (project.isError) return <Alert>{messageOf(project.error)}</Alert>;
  const detail = project.data;
  return (
    <>
      <BackLink href={`/projects/${projectId}`}>{detail.project.title}</BackLink>
      <PageHeader
        title="Register a model"
        description="What the model predicts, from what, and its architecture. Registering creates version 1, marked as candidate: freshly initialised weights, or those of an uploaded TF.js model."
      />
      {canWriteModels(detail.myRole) ? (
        <RegisterForm projectId={projectId} siteCodes={detail.sites.map((s) => s.code)} />
      ) : (
        <Alert tone="info">Viewers can read the project’s models but not register one.</Alert>
      )}
    </>
  );
}
