"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { BackLink } from "@/app/_components/ui/back-link";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { useProject } from "../../use-project";
import { describeStrategy, jobKindLabel, registryHref } from "../_components/job-format";
import { JobStatusBadge } from "../_components/job-status-badge";
import { isJobActive, type JobDetail } from "../_components/types";
import { CancelJob } from "./cancel-job";
import { JobLog } from "./job-log";
import { JobOutcome } from "./job-outcome";
import { ParticipationTimeline } from "./participation-timeline";
import { RoundProgress } from "./round-progress";
import { RoundUpdates } from "./round-updates";
import { SiteMetricsTable } from "./site-metrics-table";
import { ValidationCharts } from "./validation-charts";

const OPTIMIZERS: Record<string, string> = { adam: "Adam", sgd: "SGD" };

function settingsOf({ job }: JobDetail): string {
  const h = job.config.hyperparameters;
  const p = job.config.participation;
  const parts = h
    ? [
        `${h.localEpochs} local ${h.localEpochs === 1 ? "epoch" : "epochs"}`,
        `batch ${h.batchSize}`,
        `learning rate ${h.learningRate}`,
        OPTIMIZERS[h.optimizer] ?? h.optimizer,
        describeStrategy(job.config.strategy),
      ]
    : [];
  if (p)
    parts.push(`at least ${p.minSites} of ${job.sites.length} sites per round`, `${p.roundDeadlineSeconds} s deadline`);
  return [...parts, `validation fraction ${job.config.split.validationFraction}`].join(" · ");
}

function JobSummary({ projectId, detail }: { projectId: string; detail: JobDetail }) {
  const { job } = detail;
  return (
    <span className="flex flex-col gap-1">
      <span className="flex flex-wrap items-center gap-2">
        <JobStatusBadge status={job.status} />
        {/* One run of text, so on a narrow screen it wraps between words rather than starting a line with "·". */}
        <span>
          <Link
            href={registryHref(projectId, job.modelId)}
            className="text-nhs-blue underline-offset-2 hover:underline"
          >
            {job.modelName}
          </Link>{" "}
          from v{job.startVersion}
          {job.startedAt ? (
            <>
              {" "}
              · started <RelativeTime date={job.startedAt} />
            </>
          ) : null}
        </span>
      </span>
      <span className="text-xs text-slate-600">{settingsOf(detail)}</span>
    </span>
  );
}

/** The live view of one job: polls every second while it runs and stops polling once it has ended. */
export function JobDashboard({ projectId, jobId }: { projectId: string; jobId: string }) {
  const trpc = useTRPC();
  const project = useProject(projectId);
  const job = useQuery(
    trpc.jobs.byId.queryOptions(
      { projectId, jobId },
      { refetchInterval: (query) => (query.state.data && isJobActive(query.state.data.job.status) ? 1_000 : false) },
    ),
  );
  const canRun = project.data !== undefined && project.data.myRole !== "viewer";
  const detail = job.data;

  return (
    <>
      <BackLink href={`/projects/${projectId}`}>{project.data?.project.title ?? "Project"}</BackLink>
      <PageHeader
        title={detail ? `${jobKindLabel(detail.job.kind)} job` : "Job"}
        description={detail ? <JobSummary projectId={projectId} detail={detail} /> : undefined}
        actions={
          detail && canRun && isJobActive(detail.job.status) ? (
            <CancelJob projectId={projectId} jobId={jobId} />
          ) : undefined
        }
      />
      {job.isPending ? (
        <Loading label="Loading the job…" />
      ) : job.isError ? (
        <Alert>{messageOf(job.error)}</Alert>
      ) : (
        <div className="space-y-6">
          <JobOutcome projectId={projectId} detail={job.data} />
          <RoundProgress detail={job.data} />
          {job.data.job.kind === "train" ? <ValidationCharts detail={job.data} /> : null}
          <SiteMetricsTable detail={job.data} />
          <ParticipationTimeline detail={job.data} />
          <JobLog events={job.data.events} />
          {job.data.job.kind === "train" ? <RoundUpdates rounds={job.data.rounds} /> : null}
        </div>
      )}
    </>
  );
}
