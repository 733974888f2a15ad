"use client";

import { useQuery } from "@tanstack/react-query";
import { BackLink } from "@/app/_components/ui/back-link";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { formatDateTime } from "@/app/_components/time-format";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { CombinedSummary } from "./combined-summary";
import { DpBadge, DpNote } from "./dp-note";
import { ResultCharts } from "./result-charts";
import { SiteCountsTable } from "./site-counts-table";
import { SiteProgress } from "./site-progress";

export function RunResults({ projectId, runId }: { projectId: string; runId: string }) {
  const trpc = useTRPC();
  const result = useQuery(
    trpc.cohorts.result.queryOptions(
      { projectId, runId },
      { refetchInterval: (query) => (query.state.data?.isFinished ? false : 2_000) },
    ),
  );

  return (
    <>
      <BackLink href={`/projects/${projectId}`}>Project</BackLink>
      <PageHeader
        title="Cohort results"
        description={
          result.data ? (
            <span className="flex flex-wrap items-center gap-2">
              <Badge tone={result.data.run.purpose === "approved" ? "green" : "neutral"}>
                {result.data.run.purpose === "approved" ? "Approved count" : "Feasibility count"}
              </Badge>
              <span>Requested {formatDateTime(result.data.run.createdAt)}</span>
              {!result.data.isFinished ? <Badge tone="blue">Running</Badge> : null}
              <DpBadge sites={result.data.sites} />
            </span>
          ) : undefined
        }
      />
      {result.isPending ? (
        <Loading label="Loading results…" />
      ) : result.isError ? (
        <Alert>{messageOf(result.error)}</Alert>
      ) : (
        <div className="space-y-6">
          {!result.data.isFinished ? <SiteProgress sites={result.data.sites} /> : null}
          <DpNote sites={result.data.sites} />
          <CombinedSummary combined={result.data.combined} sites={result.data.sites} />
          <SiteCountsTable sites={result.data.sites} />
          <ResultCharts result={result.data} />
        </div>
      )}
    </>
  );
}
