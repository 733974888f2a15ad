import { z } from "zod";
import { DP_LIMITS } from "./dp-settings";
import { computeRdp, DEFAULT_ORDERS, epsilonFromRdp } from "./rdp";

/**
 * Differentially private cohort counts: what the researcher asks for (ε and δ per count), and how a
 * site turns that into noise and into the RDP it charges to the project's budget. Shared by the
 * count form (the noise estimate it shows), the hub (which checks the settings) and the site.
 *
 * Mechanism: independent discrete Gaussian noise N_Z(0, σ²) on every released cell (Canonne, Kamath
 * & Steinke, "The Discrete Gaussian for Differential Privacy", 2020), added to the exact counts
 * before suppression and rounding, which are then post-processing. For integer-valued queries with
 * L2 sensitivity Δ the discrete Gaussian is (α, αΔ²/(2σ²))-RDP at every order α (CKS 2020, Prop. 5;
 * independent coordinates add their Rényi divergences), the same curve as the continuous Gaussian
 * mechanism with noise multiplier σ/Δ. So a count's cost goes into the same RDP ledger as training
 * and composes with it by addition, order by order.
 *
 * Sensitivity (add/remove one person): a person is counted at most once in each attrition step (a
 * person of the final cohort is in every step: L2² ≤ steps), and in at most one age band and one sex
 * cell, since the cells of a breakdown are disjoint (L2² ≤ 1 each). One release of `steps`
 * attrition steps therefore has Δ₂ = √(steps + 2). L1 would be steps + 2; the Gaussian needs L2 only.
 */
export const COUNT_DP_LIMITS = { minEpsilon: 0.05, maxEpsilon: 10 } as const;

export const ZCountPrivacy = z.strictObject({
  epsilon: z
    .number({ error: "Enter ε for each count" })
    .min(COUNT_DP_LIMITS.minEpsilon, `ε at least ${COUNT_DP_LIMITS.minEpsilon}: less would drown every count in noise`)
    .max(COUNT_DP_LIMITS.maxEpsilon, `ε at most ${COUNT_DP_LIMITS.maxEpsilon}: more protects almost nothing`),
  delta: z
    .number({ error: "Enter δ" })
    .min(DP_LIMITS.minDelta, `δ at least ${DP_LIMITS.minDelta}`)
    .max(DP_LIMITS.maxDelta, `δ at most ${DP_LIMITS.maxDelta}; it should be well below 1 / the number of patients`),
});
export type CountPrivacy = z.infer<typeof ZCountPrivacy>;

/** What a DP count result says about its noise and what the site has spent on the project so far. */
export const ZCountPrivacyReport = ZCountPrivacy.extend({
  /** Standard deviation of the discrete Gaussian noise on each cell, before suppression and rounding. */
  sigma: z.number().positive(),
  /** ε (at `budgetDelta`) the site has spent on the project with this count included, training and counts together. */
  epsilonSpent: z.number().finite().nonnegative(),
  maxEpsilon: z.number().finite().positive(),
  budgetDelta: z.number().positive().max(DP_LIMITS.maxDelta),
});
export type CountPrivacyReport = z.infer<typeof ZCountPrivacyReport>;

/** L2 sensitivity of one cohort count release with `steps` attrition steps (see above). */
export function countL2Sensitivity(steps: number): number {
  return Math.sqrt(steps + 2);
}

const epsilonOfMultiplier = (noiseMultiplier: number, delta: number) =>
  epsilonFromRdp(DEFAULT_ORDERS, computeRdp([{ samplingRate: 1, noiseMultiplier, steps: 1 }]), delta).epsilon;

/**
 * The noise multiplier σ/Δ at which one release is exactly (ε, δ)-DP under the accountant's own
 * RDP-to-(ε, δ) conversion: ε falls as the multiplier grows, so bisection finds it. The site charges
 * the RDP of this multiplier, so the first count of a project spends exactly the stated ε at δ.
 */
export function countNoiseMultiplier({ epsilon, delta }: CountPrivacy): number {
  let lo = 1e-3;
  let hi = 1e4;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (epsilonOfMultiplier(mid, delta) > epsilon) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** σ of the discrete Gaussian on each cell of a release with `steps` attrition steps. */
export function countNoiseSigma(dp: CountPrivacy, steps: number): number {
  return countNoiseMultiplier(dp) * countL2Sensitivity(steps);
}

/** The RDP one DP count release costs, order by order on `orders`: α Δ² / (2σ²) = α / (2 multiplier²). */
export function countRdp(dp: CountPrivacy, orders: readonly number[] = DEFAULT_ORDERS): number[] {
  return computeRdp([{ samplingRate: 1, noiseMultiplier: countNoiseMultiplier(dp), steps: 1 }], orders);
}
