"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Alert } from "@/app/_components/ui/alert";
import { BackLink } from "@/app/_components/ui/back-link";
import { Badge } from "@/app/_components/ui/badge";
import { Button } from "@/app/_components/ui/button";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { SelectField } from "@/app/_components/ui/select-field";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { useProject } from "../../../use-project";
import { canWriteModels, downloadHref, modelHref, slugOf } from "../../_components/format";
import type { ModelCardData } from "../../_components/types";
import { ApprovalsSection } from "./approvals-section";
import { PrivacySection } from "./privacy-section";
import { DataSection, IntendedUse, TrainingSection } from "./card-sections";
import { EvaluationTable } from "./evaluation-table";
import { LimitationsSection } from "./limitations-section";

/** Saves the server-rendered Markdown as a file, named like the download zip it accompanies. */
function exportMarkdown(card: ModelCardData) {
  const url = URL.createObjectURL(new Blob([card.markdown], { type: "text/markdown;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `${slugOf(card.model.name)}-v${card.version.number}-model-card.md`;
  link.click();
  // Revoking in the same task can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

export function CardPage({
  projectId,
  modelId,
  versionId,
}: {
  projectId: string;
  modelId: string;
  versionId: string | undefined;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const project = useProject(projectId);
  const card = useQuery(trpc.models.card.queryOptions({ projectId, modelId, versionId }));
  const detail = useQuery(trpc.models.byId.queryOptions({ projectId, modelId }));

  if (project.isPending || card.isPending) return <Loading label="Loading model card…" />;
  if (project.isError || card.isError) return <Alert>{messageOf(project.error ?? card.error)}</Alert>;
  const data = card.data;
  const canWrite = canWriteModels(project.data.myRole);
  const base = `${modelHref(projectId, modelId)}/card`;

  return (
    <>
      <BackLink href={modelHref(projectId, modelId)}>{data.model.name}</BackLink>
      <PageHeader
        title={`Model card: ${data.model.name} v${data.version.number}`}
        description={
          <span className="flex flex-wrap items-center gap-2">
            {data.version.aliases.map((a) => (
              <Badge key={a} tone={a === "champion" ? "green" : "blue"}>
                {a}
              </Badge>
            ))}
            <span>Generated from the registry; only the limitations are written by hand.</span>
          </span>
        }
        actions={
          <>
            <Button type="button" variant="secondary" onClick={() => exportMarkdown(data)}>
              Export Markdown
            </Button>
            {canWrite ? (
              <Button asChild>
                <a href={downloadHref(projectId, data.version.id)} download>
                  Download model
                </a>
              </Button>
            ) : null}
          </>
        }
      />
      <div className="space-y-6">
        {detail.data && detail.data.versions.length > 1 ? (
          <div className="sm:max-w-xs">
            <SelectField
              label="Card for version"
              name="card-version"
              value={data.version.id}
              onChange={(e) => router.replace(`${base}?version=${e.target.value}`)}
            >
              {detail.data.versions.map((v) => (
                <option key={v.id} value={v.id}>
                  v{v.number}
                  {v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}
                </option>
              ))}
            </SelectField>
          </div>
        ) : null}
        <IntendedUse card={data} />
        <DataSection card={data} />
        <TrainingSection card={data} projectId={projectId} />
        <PrivacySection privacy={data.privacy} />
        <EvaluationTable metrics={data.version.metrics} />
        <ApprovalsSection approvals={data.approvals} />
        <LimitationsSection
          projectId={projectId}
          modelId={modelId}
          limitations={data.model.limitations}
          canWrite={canWrite}
        />
      </div>
    </>
  );
}
