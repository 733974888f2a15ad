import { SUPPRESSED, type Cell } from "@/protocol/contract";
import { releaseCount, type CountRule } from "@/protocol/disclosure";
import {
  METRIC_DECIMALS,
  type ConfusionMatrix,
  type EvaluationMetrics,
  type ScoreHistogram,
} from "@/protocol/training";
import type { SplitEvaluation } from "../training/predict";

/**
 * What of a model's evaluation on one split may leave the site (the gate's train and evaluate
 * branches). Metrics are an oracle: a hand-set model (output = age above a cut) evaluated at full
 * precision gives N·(1 − specificity), the exact number of persons at or above the cut. So:
 *
 * - Nothing about a split is released unless its positives AND its negatives are each at or above
 *   the threshold: sensitivity is a statement about the positives, specificity about the negatives,
 *   and either over a handful of persons describes them. Otherwise every metric is null and every
 *   count (examples, positives, negatives, matrix, histogram) is suppressed or withheld.
 * - Metrics are rounded to METRIC_DECIMALS places (stated in the result as `metricDecimals`): with
 *   two decimals, N·(1 − specificity) is uncertain by ±N/200 persons.
 * - The confusion matrix at 0.5 and the per-class score histogram (SCORE_BINS bins) are released
 *   cell by cell through `releaseCount`, like any other count, so the hub can pool properly, with
 *   complementary suppression within each class (`releaseClassCells`).
 *
 * How many evaluations a project may run at the site is the gate's `admit` check
 * (maxEvaluationsPerProject in the site policy).
 */
export type ReleasedSplit = {
  examples: Cell;
  positives: Cell;
  negatives: Cell;
  metrics: EvaluationMetrics;
  confusion: ConfusionMatrix | null;
  histogram: ScoreHistogram | null;
};

const NULL_METRICS: EvaluationMetrics = { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null };

/** How a result states the precision of what it releases. */
export const releaseStatement = (rule: CountRule) => ({ rounding: rule.base, metricDecimals: METRIC_DECIMALS });

/** Whether a split's metrics may leave the site at all: both classes at or above the threshold. */
export function isSplitReleasable(split: Pick<SplitEvaluation, "positives" | "negatives">, rule: CountRule): boolean {
  return split.positives >= rule.threshold && split.negatives >= rule.threshold;
}

/** A metric rounded to `decimals` places (halves away from zero), null kept. */
export function roundMetric(value: number | null, decimals = METRIC_DECIMALS): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const scale = 10 ** decimals;
  const rounded = Math.sign(value) * Math.round(Math.abs(value) * scale);
  // Dividing an integer by the scale gives the shortest decimal (0.07, not 0.07000000000000001); +0 avoids -0.
  return rounded / scale + 0;
}

/** Metrics of a model on a split: rounded, or all null when the split is not releasable. */
export function releaseMetrics(
  split: Pick<SplitEvaluation, "positives" | "negatives">,
  metrics: EvaluationMetrics,
  rule: CountRule,
): EvaluationMetrics {
  if (!isSplitReleasable(split, rule)) return NULL_METRICS;
  return {
    loss: roundMetric(metrics.loss),
    accuracy: roundMetric(metrics.accuracy),
    auc: roundMetric(metrics.auc),
    sensitivity: roundMetric(metrics.sensitivity),
    specificity: roundMetric(metrics.specificity),
  };
}

/** One split's evaluation as it may leave the site. */
export function releaseSplit(split: SplitEvaluation, rule: CountRule): ReleasedSplit {
  if (!isSplitReleasable(split, rule))
    return {
      examples: SUPPRESSED,
      positives: SUPPRESSED,
      negatives: SUPPRESSED,
      metrics: NULL_METRICS,
      confusion: null,
      histogram: null,
    };
  const cell = (n: number) => releaseCount(n, rule);
  const { tp, fn, tn, fp } = split.confusion;
  const [releasedTp, releasedFn] = releaseClassCells([tp, fn], rule);
  const [releasedTn, releasedFp] = releaseClassCells([tn, fp], rule);
  return {
    examples: cell(split.examples),
    positives: cell(split.positives),
    negatives: cell(split.negatives),
    metrics: releaseMetrics(split, split.metrics, rule),
    confusion: { tp: releasedTp!, fp: releasedFp!, tn: releasedTn!, fn: releasedFn! },
    histogram: {
      positive: releaseClassCells(split.histogram.positive, rule),
      negative: releaseClassCells(split.histogram.negative, rule),
    },
  };
}

/**
 * The cells of one class (its histogram bins, or its two cells of the matrix), whose sum is the
 * class total the result also releases. Each goes through the count rule; then, so that the total
 * minus the released cells cannot single out a small group, the persons in suppressed cells must
 * number 0 or at least the threshold: while they are fewer, the smallest released cell is
 * suppressed too (complementary suppression). The hub spreads that remainder over the suppressed
 * cells for its point estimates and bounds the rest.
 */
export function releaseClassCells(counts: readonly number[], rule: CountRule): Cell[] {
  const cells = counts.map((n) => releaseCount(n, rule));
  let hidden = counts.reduce((sum, n, i) => (cells[i] === SUPPRESSED ? sum + n : sum), 0);
  while (hidden > 0 && hidden < rule.threshold) {
    let smallest = -1;
    for (let i = 0; i < cells.length; i++)
      if (cells[i] !== SUPPRESSED && (smallest < 0 || counts[i]! < counts[smallest]!)) smallest = i;
    if (smallest < 0) break;
    cells[smallest] = SUPPRESSED;
    hidden += counts[smallest]!;
  }
  return cells;
}
