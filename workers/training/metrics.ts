import { SCORE_BINS, type EvaluationMetrics } from "@/protocol/training";

/**
 * Binary classification metrics from predicted probabilities of the positive class and 0/1
 * labels. Pure functions; every figure that is undefined for the data (AUC with one class,
 * sensitivity without positives) is null rather than a misleading 0 or NaN.
 */
const EPSILON = 1e-7;
const THRESHOLD = 0.5;

export const NULL_METRICS: EvaluationMetrics = {
  loss: null,
  accuracy: null,
  auc: null,
  sensitivity: null,
  specificity: null,
};

/** Mean binary cross-entropy, with probabilities clipped as Keras does so a confident miss costs a finite loss. */
export function binaryCrossEntropy(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - EPSILON, Math.max(EPSILON, probabilities[i]!));
    total -= labels[i]! === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return total / labels.length;
}

/** Mann-Whitney: the share of (positive, negative) pairs ranked correctly, a tie counting one half. */
export function areaUnderRoc(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => probabilities[a]! - probabilities[b]!,
  );
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && probabilities[order[end + 1]!] === probabilities[order[start]!]) end++;
    // Tied scores share the mean of their ranks (1-based), which is what counts a tie as 1/2.
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += meanRank;
      }
    }
    start = end + 1;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function computeMetrics(probabilities: ArrayLike<number>, labels: ArrayLike<number>): EvaluationMetrics {
  if (labels.length === 0) return NULL_METRICS;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const isPredictedPositive = probabilities[i]! >= THRESHOLD;
    if (labels[i] === 1) {
      if (isPredictedPositive) tp++;
      else fn++;
    } else if (isPredictedPositive) fp++;
    else tn++;
  }
  return {
    loss: binaryCrossEntropy(probabilities, labels),
    accuracy: (tp + tn) / labels.length,
    auc: areaUnderRoc(probabilities, labels),
    sensitivity: tp + fn > 0 ? tp / (tp + fn) : null,
    specificity: tn + fp > 0 ? tn / (tn + fp) : null,
  };
}

/** Exact counts of an evaluated split, before the release gate rounds and suppresses them. */
export type ExactConfusion = { tp: number; fp: number; tn: number; fn: number };
export type ExactHistogram = { positive: number[]; negative: number[] };

/** The confusion matrix at 0.5 (a score of at least 0.5 is a positive call), as computeMetrics counts it. */
export function confusionAt(probabilities: ArrayLike<number>, labels: ArrayLike<number>): ExactConfusion {
  const cells = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const isPredictedPositive = probabilities[i]! >= THRESHOLD;
    if (labels[i] === 1) cells[isPredictedPositive ? "tp" : "fn"]++;
    else cells[isPredictedPositive ? "fp" : "tn"]++;
  }
  return cells;
}

/** The bin of a score: k for scores in [k/bins, (k+1)/bins), the last bin also holding 1. */
export function scoreBin(score: number, bins = SCORE_BINS): number {
  return Math.min(bins - 1, Math.max(0, Math.floor(score * bins)));
}

/** Predicted scores per true class in equal bins of [0, 1]: enough to pool ROC and calibration across sites. */
export function scoreHistogram(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = SCORE_BINS,
): ExactHistogram {
  const positive = new Array<number>(bins).fill(0);
  const negative = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) (labels[i] === 1 ? positive : negative)[scoreBin(probabilities[i]!, bins)]!++;
  return { positive, negative };
}
