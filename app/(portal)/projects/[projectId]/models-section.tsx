"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { formatMetric, modelHref, pooledOf, TASK_LABELS } from "./models/_components/format";
import { textLinkClass } from "@/app/_components/ui/text-link";
import type { ModelRow } from "./models/_components/types";

function ModelItem({ projectId, model }: { projectId: string; model: ModelRow }) {
  const latest = model.latestVersion;
  const pooled = latest ? pooledOf(latest.metrics) : null;
  const versionNumber = (versionId: string) => (latest?.id === versionId ? latest.number : null);
  return (
    <li className="py-3 first:pt-0 last:pb-0">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
        <Link href={modelHref(projectId, model.id)} className={`font-medium ${textLinkClass}`}>
          {model.name}
        </Link>
        <span className="flex flex-wrap gap-1.5">
          {model.aliases.map((a) => (
            <Badge key={a.alias} tone={a.alias === "champion" ? "green" : "blue"}>
              {a.alias}
              {versionNumber(a.versionId) ? ` v${versionNumber(a.versionId)}` : ""}
            </Badge>
          ))}
        </span>
      </div>
      <p className="mt-0.5 text-sm text-slate-600">
        {TASK_LABELS[model.task]} · {model.inputKind === "image" ? "image" : "tabular"} input · {model.versionCount}{" "}
        {model.versionCount === 1 ? "version" : "versions"}
      </p>
      <p className="text-sm text-slate-600 tabular-nums">
        {latest ? `Latest v${latest.number}: ` : ""}
        {pooled
          ? `AUC ${formatMetric(pooled.auc)}, accuracy ${formatMetric(pooled.accuracy)} (pooled validation)`
          : "not evaluated yet"}
      </p>
    </li>
  );
}

/** The project's registered models at a glance, for the project page. */
export function ModelsSection({ projectId, canWrite }: { projectId: string; canWrite: boolean }) {
  const trpc = useTRPC();
  const models = useQuery(trpc.models.list.queryOptions({ projectId }));
  return (
    <Card
      title="Models"
      actions={
        canWrite ? (
          <Button asChild variant="secondary">
            <Link href={`/projects/${projectId}/models/new`}>Register a model</Link>
          </Button>
        ) : null
      }
    >
      {models.isPending ? (
        <Loading label="Loading models…" />
      ) : models.isError ? (
        <Alert>{messageOf(models.error)}</Alert>
      ) : models.data.length === 0 ? (
        <EmptyState title="No models registered yet">
          {canWrite
            ? "Register a model to train it across the approved sites."
            : "Project members can register models."}
        </EmptyState>
      ) : (
        <ul aria-label="Registered models" className="divide-y divide-slate-200">
          {models.data.map((m) => (
            <ModelItem key={m.id} projectId={projectId} model={m} />
          ))}
        </ul>
      )}
    </Card>
  );
}
