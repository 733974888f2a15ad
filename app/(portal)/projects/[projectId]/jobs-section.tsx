"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { formatDateTime } from "@/app/_components/time-format";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { formatMetric, jobKindLabel, registryHref } from "./jobs/_components/job-format";
import { JobStatusBadge } from "./jobs/_components/job-status-badge";
import { isJobActive, type JobRow } from "./jobs/_components/types";

const muted = (text: string) => <span className="text-slate-500">{text}</span>;

/** Four columns, so the table fits the project page's two-thirds column without scrolling sideways. */
function columnsFor(projectId: string): Column<JobRow>[] {
  return [
    {
      header: "Job",
      cell: (j) => (
        <span>
          <Link
            href={`/projects/${projectId}/jobs/${j.id}`}
            className="font-medium text-nhs-blue underline-offset-2 hover:underline"
          >
            {jobKindLabel(j.kind)} <span className="sr-only">job started {formatDateTime(j.createdAt)}</span>
          </Link>
          <span className="block text-xs whitespace-nowrap text-slate-600">started {formatDateTime(j.createdAt)}</span>
          <span className="block text-xs whitespace-nowrap text-slate-600">
            {j.finishedAt ? `finished ${formatDateTime(j.finishedAt)}` : isJobActive(j.status) ? "in progress" : null}
          </span>
        </span>
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
    {
      header: "Status",
      cell: (j) => (
        <span className="flex flex-col items-start gap-0.5">
          <JobStatusBadge status={j.status} />
          {j.kind === "train" ? (
            <span className="text-xs whitespace-nowrap text-slate-600 tabular-nums">
              round {j.currentRound} of {j.totalRounds}
            </span>
          ) : null}
        </span>
      ),
    },
    {
      header: "Latest version",
      cell: (j) => {
        if (j.latestVersionNumber === null) return muted("—");
        // A version's metrics arrive once sites have measured it (next round or final evaluation).
        const pooled = j.latestMetrics?.validation ?? null;
        return (
          <span className="tabular-nums">
            v{j.latestVersionNumber}
            {pooled ? (
              <span className="block text-xs text-slate-600">
                <span className="whitespace-nowrap">AUC {formatMetric(pooled.auc)}</span> ·{" "}
                <span className="whitespace-nowrap">accuracy {formatMetric(pooled.accuracy)}</span>
              </span>
            ) : (
              <span className="block text-xs text-slate-600">not measured yet</span>
            )}
          </span>
        );
      },
    },
  ];
}

/** The project's training and evaluation jobs, refreshed while any of them is still running. */
export function JobsSection({ projectId, canRun }: { projectId: string; canRun: boolean }) {
  const trpc = useTRPC();
  const jobs = useQuery(
    trpc.jobs.list.queryOptions(
      { projectId },
      { refetchInterval: (query) => (query.state.data?.some((j) => isJobActive(j.status)) ? 3_000 : false) },
    ),
  );
  const actions = canRun ? (
    <div className="mb-3 flex flex-wrap gap-2">
      <Button asChild variant="secondary">
        <Link href={`/projects/${projectId}/jobs/new?kind=evaluate`}>Evaluate a model</Link>
      </Button>
      <Button asChild>
        <Link href={`/projects/${projectId}/jobs/new`}>Start training</Link>
      </Button>
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
        <EmptyState title="No jobs yet">
          {canRun
            ? "Start a federated training job from a registered model version."
            : "Members of the project start training and evaluation jobs."}
        </EmptyState>
      ) : (
        <DataTable label="Jobs" columns={columnsFor(projectId)} rows={jobs.data} rowKey={(j) => j.id} />
      )}
    </Card>
  );
}
