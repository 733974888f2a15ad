import type { RouterOutput } from "@/app/_trpc/types";
import type { PooledMetrics, SiteMetrics } from "@/server/jobs/pool-metrics";

export type JobRow = RouterOutput["jobs"]["list"][number];
export type JobDetail = RouterOutput["jobs"]["byId"];
export type JobStatus = JobDetail["job"]["status"];
export type JobTask = JobDetail["participation"][number];
export type JobEvent = JobDetail["events"][number];
export type JobRound = JobDetail["rounds"][number];
export type ValidationPoint = JobDetail["validation"][number];

/** What the hub stores on a model version as `metrics` (rounds.service.ts); null until a site has measured it. */
export type VersionMetrics = { validation: PooledMetrics | null; perSite: SiteMetrics[]; source: string };

export const isJobActive = (status: JobStatus) => status === "queued" || status === "running";
