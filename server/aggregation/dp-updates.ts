import { eq } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { jobs, privacyReports } from "@/db/schema";
import { siteNoiseStd, type DifferentialPrivacy } from "@/protocol/privacy/dp-settings";
import type { TrainPayload, TrainResult } from "@/protocol/training";
import { AppError } from "@/server/errors";
import type { TensorSpec } from "./validate-update";

/**
 * The hub's side of DP-FedAvg updates. A site clips its update to the job's bound and then adds
 * Gaussian noise, so the update's norm is the clip plus the noise's: at most
 * clip + σ_site (√d + 10) except with probability below e^{-50} (the norm of a d-dimensional
 * Gaussian exceeds σ(√d + t) with probability at most e^{-t²/2}). Anything larger is not what the
 * job asked for and is refused, so noise is no cover for an oversized update.
 */
export function updateNormBound(
  normBound: number,
  dp: DifferentialPrivacy | null | undefined,
  spec: readonly TensorSpec[],
): number {
  if (!dp) return normBound;
  const parameterCount = spec.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return normBound + siteNoiseStd(dp, normBound, null) * (Math.sqrt(parameterCount) + 10);
}

/** A DP job's update must say what guarantee it carries, and that guarantee must be the job's. */
export function checkPrivacyReport(payload: unknown, result: TrainResult): void {
  const dp = (payload as Partial<TrainPayload> | null)?.differentialPrivacy;
  if (!dp) return;
  const report = result.privacy;
  const refuse = (why: string) => new AppError("BAD_REQUEST", `Update refused: ${why}. Nothing was changed.`);
  if (!report) throw refuse("this job uses differential privacy and the site's result does not report it");
  if (report.noiseMultiplier !== dp.noiseMultiplier || report.exampleLevel !== (dp.exampleLevel !== undefined))
    throw refuse("the site reports other differential-privacy settings than the job's");
  // The noise share depends on it: a site that thinks it adds a 1/t share must be in a secure round, and vice versa.
  if (report.secureAggregation !== ((payload as Partial<TrainPayload>).secureAggregation !== undefined))
    throw refuse("the site reports secure aggregation differently from the job");
}

/** Keeps the site's privacy report with its accepted update (in the update's transaction). */
export async function recordPrivacyReport(
  tx: Tx,
  input: { jobId: string; round: number; siteId: string; result: TrainResult },
): Promise<void> {
  const report = input.result.privacy;
  if (!report) return;
  const [job] = await tx.select({ projectId: jobs.projectId }).from(jobs).where(eq(jobs.id, input.jobId));
  if (!job) return;
  await tx
    .insert(privacyReports)
    .values({ projectId: job.projectId, jobId: input.jobId, round: input.round, siteId: input.siteId, ...report })
    .onConflictDoNothing();
}
