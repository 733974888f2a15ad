"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Alert, Card, DataTable, EmptyState, type Column } from "@/app/_components/ui";
import { formatDateTime } from "@/app/_components/time-format";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { formatMetric, jobKindLabel, registryHref } from "./jobs/_components/job-format";
import { JobStatusBadge } from "./jobs/_components/job-status-badge";
import { LinkButton } from "./jobs/_components/link-button";
import { isJobActive, type JobRow, type VersionMetrics } from "./jobs/_components/types";

const muted = (text: string) => <span className="text-slate-500">{text}</span>;

function columnsFor(projectId: string): Column<JobRow>[] {
  return [
    {
      header: "Job",
      cell: (j) => (
        <Link href={`/projects/${projectId}/jobs/${j.id}`} className="font-medium text-nhs-blue underline-offset-2 hover:underline">
          {jobKindLabel(j.kind)} <span className="sr-only">job started {formatDateTime(j.createdAt)}</span>
        </Link>
      ),
    },
    {
      header: "Model",
      cell: (j) => (
        <Link href={registryHref(projectId, j.modelId)} className="text-nhs-blue underline-offset-2 hover:underline">
          {j.modelName}
        </Link>
      ),
    },
    { header: "Status", cell: (j) => <JobStatusBadge status={j.status} /> },
    { header: "Round", cell: (j) => (j.kind === "train" ? `${j.currentRound} of ${j.totalRounds}` : muted("—")), className: "tabular-nums" },
    {
      header: "Latest version",
      cell: (j) => {
        if (j.latestVersionNumber === null) return muted("—");
        // A version's metrics arrive once sites have measured it (next round or final evaluation).
        const pooled = (j.latestMetrics as VersionMetrics | null)?.validation ?? null;
        return (
          <span className="tabular-nums">
            v{j.latestVersionNumber}
            <span className="block text-xs text-slate-600">{pooled ? `AUC ${formatMetric(pooled.auc)} · accuracy ${formatMetric(pooled.accuracy)}` : "not measured yet"}</span>
          </span>
        );
      },
    },
    { header: "Started", cell: (j) => formatDateTime(j.createdAt), className: "whitespace-nowrap" },
    { header: "Finished", cell: (j) => (j.finishedAt ? formatDateTime(j.finishedAt) : muted(isJobActive(j.status) ? "in progress" : "—")), className: "whitespace-nowrap" },
  ];
}

/** The project's training and evaluation jobs, refreshed while any of them is still running. */
export function JobsSection({ projectId, canRun }: { projectId: string; canRun: boolean }) {
  const trpc = useTRPC();
  const jobs = useQuery(trpc.jobs.list.queryOptions({ projectId }, { refetchInterval: (query) => (query.state.data?.some((j) => isJobActive(j.status)) ? 3_000 : false) }));
  const actions = canRun ? (
    <div className="mb-3 flex flex-wrap gap-2">
      <LinkButton href={`/projects/${projectId}/jobs/new?kind=evaluate`} variant="secondary">
        Evaluate a model
      </LinkButton>
      <LinkButton href={`/projects/${projectId}/jobs/new`}>Start training</LinkButton>
    </div>
  ) : null;

  return (
    <Card title="Training and evaluation jobs">
      {actions}
      {jobs.isPending ? (
        <p role="status" className="text-sm text-slate-500">
          Loading jobs…
        </p>
      ) : jobs.isError ? (
        <Alert>{messageOf(jobs.error)}</Alert>
      ) : jobs.data.length === 0 ? (
        <EmptyState title="No jobs yet">{canRun ? "Start a federated training job from a registered model version." : "Members of the project start training and evaluation jobs."}</EmptyState>
      ) : (
        <DataTable label="Jobs" columns={columnsFor(projectId)} rows={jobs.data} rowKey={(j) => j.id} />
      )}
    </Card>
  );
}
