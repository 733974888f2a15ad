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
 *   cell by cell through `releaseCount`, like any other count, so the hub can pool properly.
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
  return {
    examples: cell(split.examples),
    positives: cell(split.positives),
    negatives: cell(split.negatives),
    metrics: releaseMetrics(split, split.metrics, rule),
    confusion: {
      tp: cell(split.confusion.tp),
      fp: cell(split.confusion.fp),
      tn: cell(split.confusion.tn),
      fn: cell(split.confusion.fn),
    },
    histogram: { positive: split.histogram.positive.map(cell), negative: split.histogram.negative.map(cell) },
  };
}
