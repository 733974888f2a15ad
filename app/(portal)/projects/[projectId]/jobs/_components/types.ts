import type { RouterOutput } from "@/app/_trpc/types";

export type JobRow = RouterOutput["jobs"]["list"][number];
export type JobDetail = RouterOutput["jobs"]["byId"];
export type JobStatus = JobDetail["job"]["status"];
export type JobTask = JobDetail["participation"][number];
export type JobEvent = JobDetail["events"][number];
export type JobRound = JobDetail["rounds"][number];
export type ValidationPoint = JobDetail["validation"][number];

export const isJobActive = (status: JobStatus) => status === "queued" || status === "running";
