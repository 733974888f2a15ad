"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/app/_components/ui/alert";
import { BackLink } from "@/app/_components/ui/back-link";
import { Button } from "@/app/_components/ui/button";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { useProject } from "../../use-project";
import { canWriteModels } from "../_components/format";
import { ImportVersionForm } from "./import-version-form";
import { ModelFacts } from "./model-facts";
import { ModelGovernance } from "./model-governance";
import { TrainEvaluate } from "./train-evaluate";
import { VersionMetricsChart } from "./version-metrics-chart";
import { VersionsTable } from "./versions-table";

export function RegistryPage({ projectId, modelId }: { projectId: string; modelId: string }) {
  const trpc = useTRPC();
  const project = useProject(projectId);
  const detail = useQuery(trpc.models.byId.queryOptions({ projectId, modelId }));

  if (project.isPending || detail.isPending) return <Loading label="Loading model…" />;
  if (project.isError || detail.isError) return <Alert>{messageOf(project.error ?? detail.error)}</Alert>;
  const { model, versions } = detail.data;
  const canWrite = canWriteModels(project.data.myRole);
  const isOpen = project.data.project.status !== "closed";

  return (
    <>
      <BackLink href={`/projects/${projectId}`}>{project.data.project.title}</BackLink>
      <PageHeader
        title={model.name}
        description={`Registered model with ${versions.length} ${versions.length === 1 ? "version" : "versions"}.`}
        actions={
          <Button asChild variant="secondary">
            <Link href={`/projects/${projectId}/models/${modelId}/card`}>Model card</Link>
          </Button>
        }
      />
      <div className="space-y-6">
        <ModelGovernance projectId={projectId} governance={detail.data.governance} />
        <ModelFacts model={model} />
        {canWrite && isOpen ? <TrainEvaluate projectId={projectId} modelId={modelId} versions={versions} /> : null}
        <VersionsTable projectId={projectId} modelId={modelId} versions={versions} canWrite={canWrite} />
        <VersionMetricsChart versions={versions} />
        {canWrite ? <ImportVersionForm projectId={projectId} modelId={modelId} /> : null}
      </div>
    </>
  );
}
