import { z } from "zod";
import { computeRdp, DEFAULT_ORDERS, epsilonFromRdp, type GaussianEvent } from "./rdp";

/**
 * A training job's differential-privacy settings, as the researcher chooses them, the hub stores and
 * sends in each train task, and the site accounts for. The update's L2 bound (the job's `normBound`)
 * is the clipping bound of site-level DP-FedAvg (McMahan et al. 2018): each site clips its update to
 * it and the aggregate carries Gaussian noise of standard deviation noiseMultiplier × normBound.
 * `exampleLevel` adds DP-SGD (Abadi et al. 2016) inside local training: per-example gradients clipped
 * to `clipNorm`, Poisson-sampled batches, Gaussian noise of noiseMultiplier × clipNorm per step.
 */
export const DP_LIMITS = { minNoise: 0.3, maxNoise: 20, minDelta: 1e-12, maxDelta: 1e-3 } as const;

const noiseMultiplier = z
  .number({ error: "Enter the noise multiplier" })
  .min(DP_LIMITS.minNoise, `A noise multiplier below ${DP_LIMITS.minNoise} protects almost nothing`)
  .max(DP_LIMITS.maxNoise, `At most ${DP_LIMITS.maxNoise}`);

export const ZExampleLevelDp = z.strictObject({
  noiseMultiplier,
  clipNorm: z
    .number({ error: "Enter the per-example clipping bound" })
    .positive("The per-example clipping bound must be above 0")
    .max(1000),
});

export const ZDifferentialPrivacy = z.strictObject({
  noiseMultiplier,
  delta: z
    .number({ error: "Enter δ" })
    .min(DP_LIMITS.minDelta, `δ at least ${DP_LIMITS.minDelta}`)
    .max(DP_LIMITS.maxDelta, `δ at most ${DP_LIMITS.maxDelta}; it should be well below 1 / the number of patients`),
  exampleLevel: ZExampleLevelDp.optional(),
});
export type DifferentialPrivacy = z.infer<typeof ZDifferentialPrivacy>;

/** What one site's round looks like to the accountant: its training examples and how it trains on them. */
export type RoundShape = { exampleCount: number; batchSize: number; localEpochs: number };

/** The Gaussian events of one round at one site (site-level, and example-level when on). */
function roundEvents(dp: DifferentialPrivacy, shape: RoundShape): GaussianEvent[][] {
  const siteLevel = [{ samplingRate: 1, noiseMultiplier: dp.noiseMultiplier, steps: 1 }];
  if (!dp.exampleLevel) return [siteLevel];
  const samplingRate = Math.min(1, shape.batchSize / Math.max(1, shape.exampleCount));
  const steps = shape.localEpochs * Math.ceil(1 / samplingRate);
  return [siteLevel, [{ samplingRate, noiseMultiplier: dp.exampleLevel.noiseMultiplier, steps }]];
}

/**
 * RDP of one round at one site, order by order. One patient's data changes the site's clipped update
 * by at most the bound, so site-level DP-FedAvg alone bounds it; with DP-SGD the same released update
 * is also DP-SGD's output, so both curves bound the round and the smaller holds at each order.
 */
export function roundRdp(dp: DifferentialPrivacy, shape: RoundShape, orders = DEFAULT_ORDERS): number[] {
  const curves = roundEvents(dp, shape).map((events) => computeRdp(events, orders));
  return orders.map((_, k) => Math.min(...curves.map((c) => c[k]!)));
}

/** ε at δ after `rounds` rounds at a site with `shape`: the training form's live estimate and the site's own check. */
export function estimateEpsilon(dp: DifferentialPrivacy, rounds: number, shape: RoundShape, delta = dp.delta): number {
  const perRound = roundRdp(dp, shape);
  return epsilonFromRdp(
    DEFAULT_ORDERS,
    perRound.map((r) => r * rounds),
    delta,
  ).epsilon;
}

/**
 * Standard deviation of the Gaussian noise one site adds to its clipped update. Without secure
 * aggregation the hub sees each update, so each carries the full noise (local DP). With it the hub
 * sees only the sum of at least `threshold` sites' updates (fewer and the round cannot be unmasked),
 * so each site adds a 1/threshold share of the variance and any sum the hub can open carries at least
 * the calibrated total (distributed DP).
 */
export function siteNoiseStd(dp: DifferentialPrivacy, normBound: number, secureThreshold: number | null): number {
  const total = dp.noiseMultiplier * normBound;
  return secureThreshold ? total / Math.sqrt(secureThreshold) : total;
}

/**
 * What a site reports with each DP update: the guarantee it gave and what it has spent on the
 * project so far (at its own δ, against its own budget), for the hub's budget view and the model card.
 */
export const ZPrivacyReport = z.object({
  epsilonSpent: z.number().finite().nonnegative(),
  delta: z.number().positive().max(DP_LIMITS.maxDelta),
  maxEpsilon: z.number().finite().positive(),
  noiseMultiplier: z.number().positive(),
  clipNorm: z.number().positive(),
  exampleLevel: z.boolean(),
  secureAggregation: z.boolean(),
});
export type PrivacyReport = z.infer<typeof ZPrivacyReport>;
