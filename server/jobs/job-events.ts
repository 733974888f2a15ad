import type { Tx } from "@/db/client";
import { jobEvents } from "@/db/schema";

/** The typed events of a job's log, as the job page shows them. Details carry counts and sizes, never site data. */
export type JobEventType =
  | "job_started"
  | "round_started"
  | "update_received"
  | "update_lost"
  | "round_aggregated"
  | "site_dropped"
  | "site_skipped"
  | "evaluation_started"
  | "evaluation_received"
  | "job_completed"
  | "job_failed"
  | "job_cancelled";

export async function logJobEvent(
  tx: Tx,
  jobId: string,
  type: JobEventType,
  event: { round?: number | null; siteCode?: string | null; details?: Record<string, unknown> } = {},
) {
  await tx.insert(jobEvents).values({
    jobId,
    type,
    round: event.round ?? null,
    siteCode: event.siteCode ?? null,
    details: event.details ?? {},
  });
}
