"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/app/_components/ui/alert";
import { BackLink } from "@/app/_components/ui/back-link";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { bundleOf } from "../../../_components/bundle-of";
import type { ProjectDetail } from "../../../_components/types";
import { useProject } from "../../use-project";
import { EvaluateForm } from "./evaluate-form";
import type { ModelChoice, ModelSummary } from "./model-version-fields";
import { TrainForm } from "./train-form";

export type JobKind = "train" | "evaluate";

const KINDS: { kind: JobKind; label: string }[] = [
  { kind: "train", label: "Federated training" },
  { kind: "evaluate", label: "Federated evaluation" },
];

/** Why the server would refuse any job of this kind right now, so the form says so before anyone fills it in. */
function blockedReason(detail: ProjectDetail, kind: JobKind): string | null {
  if (detail.project.status !== "active")
    return `Jobs run only in active projects; this one is ${detail.project.status}. A site must approve the current revision first.`;
  if (!bundleOf(detail).allowedJobKinds.includes(kind))
    return `The approved governance bundle does not allow ${kind} jobs. Add it to the bundle and have the sites approve the new revision.`;
  return null;
}

function initialChoice(
  models: ModelSummary[],
  modelId: string | undefined,
  versionId: string | undefined,
): ModelChoice {
  const model = models.find((m) => m.id === modelId) ?? models[0];
  if (!model) return { modelId: "", versionId: "" };
  return {
    modelId: model.id,
    versionId: model.id === modelId && versionId ? versionId : (model.latestVersion?.id ?? ""),
  };
}

function KindTabs({ projectId, kind, choice }: { projectId: string; kind: JobKind; choice: ModelChoice }) {
  const query = (k: JobKind) =>
    new URLSearchParams({
      kind: k,
      ...(choice.modelId ? { modelId: choice.modelId } : {}),
      ...(choice.versionId ? { versionId: choice.versionId } : {}),
    }).toString();
  return (
    <nav aria-label="Kind of job" className="mb-4 flex flex-wrap gap-2">
      {KINDS.map((k) => (
        <Link
          key={k.kind}
          href={`/projects/${projectId}/jobs/new?${query(k.kind)}`}
          aria-current={k.kind === kind ? "page" : undefined}
          className={`rounded-full border px-3 py-1 text-sm font-medium ${k.kind === kind ? "border-nhs-blue bg-nhs-blue text-white" : "border-slate-300 bg-white text-slate-800 hover:bg-slate-100"}`}
        >
          {k.label}
        </Link>
      ))}
    </nav>
  );
}

export function NewJobPage({
  projectId,
  kind,
  modelId,
  versionId,
}: {
  projectId: string;
  kind: JobKind;
  modelId?: string;
  versionId?: string;
}) {
  const trpc = useTRPC();
  const project = useProject(projectId);
  const models = useQuery(trpc.models.list.queryOptions({ projectId }));
  const title = kind === "train" ? "Start federated training" : "Start federated evaluation";
  const description =
    kind === "train"
      ? "Each approved site trains the model on its own cohort and sends back only a weight update; the hub combines them round by round."
      : "Each approved site measures the model on its own held-out data and sends back only metrics.";

  const body = (() => {
    if (project.isPending || models.isPending) return <Loading label="Loading the project and its models…" />;
    if (project.isError || models.isError) return <Alert>{messageOf(project.error ?? models.error)}</Alert>;
    if (project.data.myRole === "viewer")
      return (
        <Alert tone="info">You can follow this project’s jobs, but only its owners and members can start one.</Alert>
      );
    if (models.data.length === 0)
      return (
        <EmptyState title="No models registered yet">
          Register a model in this project’s model registry, then start a job from one of its versions.
        </EmptyState>
      );
    const choice = initialChoice(models.data, modelId, versionId);
    const props = {
      detail: project.data,
      models: models.data,
      initial: choice,
      blockedBy: blockedReason(project.data, kind),
    };
    // Keyed by the preset, so following a link with another model or version starts a fresh form.
    const key = `${choice.modelId}:${choice.versionId}`;
    return (
      <>
        <KindTabs projectId={projectId} kind={kind} choice={choice} />
        {kind === "train" ? <TrainForm key={key} {...props} /> : <EvaluateForm key={key} {...props} />}
      </>
    );
  })();

  return (
    <>
      <BackLink href={`/projects/${projectId}`}>{project.data?.project.title ?? "Project"}</BackLink>
      <PageHeader title={title} description={description} />
      {body}
    </>
  );
}
