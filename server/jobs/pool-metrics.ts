import type { PooledMetrics, SiteMetrics } from "@/protocol/registry";
import type { TrainResult } from "@/protocol/training";

export type { PooledMetrics, SiteMetrics } from "@/protocol/registry";

export const METRIC_NAMES = ["loss", "accuracy", "auc", "sensitivity", "specificity"] as const;

/**
 * Pools per-site figures weighted by each site's example count. Sites that suppressed their count
 * (too few examples to report) carry no weight and no metrics, so they are left out; a metric no
 * site could compute stays null.
 */
export function poolMetrics(perSite: readonly SiteMetrics[]): PooledMetrics | null {
  const counted = perSite.filter(
    (s): s is SiteMetrics & { examples: number } => typeof s.examples === "number" && s.examples > 0,
  );
  if (counted.length === 0) return null;
  const pooled = { examples: counted.reduce((n, s) => n + s.examples, 0), sites: counted.length } as PooledMetrics;
  for (const name of METRIC_NAMES) {
    const withValue = counted.filter((s) => s.metrics[name] !== null);
    const weight = withValue.reduce((n, s) => n + s.examples, 0);
    pooled[name] = weight === 0 ? null : withValue.reduce((sum, s) => sum + s.metrics[name]! * s.examples, 0) / weight;
  }
  return pooled;
}

/** What sites measured of a round's incoming model, before training on it, from their updates' results. */
export function globalValidationOf(updates: readonly { siteCode: string; result: TrainResult }[]): SiteMetrics[] {
  return updates.map(({ siteCode, result }) => {
    const { examples, ...metrics } = result.globalValidation;
    return { siteCode, examples, metrics };
  });
}
