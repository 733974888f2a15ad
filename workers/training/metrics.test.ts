import { describe, expect, test } from "vitest";
import { areaUnderRoc, binaryCrossEntropy, computeMetrics, confusionAt, NULL_METRICS, scoreHistogram } from "./metrics";

describe("metrics against hand computations", () => {
  test("AUC counts a tied positive/negative pair as one half", () => {
    // Positives 0.8, 0.4; negatives 0.4, 0.1. Pairs: (0.8>0.4) 1, (0.8>0.1) 1, (0.4=0.4) 1/2, (0.4>0.1) 1 -> 3.5 / 4.
    expect(areaUnderRoc([0.8, 0.4, 0.4, 0.1], [1, 1, 0, 0])).toBe(0.875);
    expect(areaUnderRoc([0.5, 0.5, 0.5], [1, 0, 0])).toBe(0.5);
    expect(areaUnderRoc([0.1, 0.9], [1, 0])).toBe(0);
    expect(areaUnderRoc([0.1, 0.9], [1, 1])).toBeNull();
  });

  test("loss, accuracy, sensitivity and specificity at 0.5", () => {
    const probabilities = [0.9, 0.6, 0.3, 0.2, 0.7];
    const labels = [1, 1, 1, 0, 0];
    // TP 2 (0.9, 0.6), FN 1 (0.3), TN 1 (0.2), FP 1 (0.7).
    const loss = -(Math.log(0.9) + Math.log(0.6) + Math.log(0.3) + Math.log(0.8) + Math.log(0.3)) / 5;
    const metrics = computeMetrics(probabilities, labels);
    expect(metrics.loss).toBeCloseTo(loss, 10);
    expect(metrics.accuracy).toBe(0.6);
    expect(metrics.sensitivity).toBeCloseTo(2 / 3, 12);
    expect(metrics.specificity).toBe(0.5);
    // Positives 0.9, 0.6, 0.3 vs negatives 0.2, 0.7: wins 2 + 1 + 1 = 4 of 6.
    expect(metrics.auc).toBeCloseTo(4 / 6, 12);
  });

  test("undefined figures are null, and a confident miss costs a finite loss", () => {
    const onlyNegatives = computeMetrics([0.1, 0.7], [0, 0]);
    expect(onlyNegatives.sensitivity).toBeNull();
    expect(onlyNegatives.auc).toBeNull();
    expect(onlyNegatives.specificity).toBe(0.5);
    expect(computeMetrics([], [])).toEqual(NULL_METRICS);
    expect(binaryCrossEntropy([0], [1])).toBeCloseTo(-Math.log(1e-7), 6);
  });
});

describe("counts for pooling", () => {
  test("the confusion matrix at 0.5 agrees with sensitivity and specificity; scores bin into 20 equal bins, 1 in the last", () => {
    const scores = [0.5, 0.49, 0.99, 1, 0, 0.051, 0.7];
    const labels = [1, 1, 1, 0, 0, 0, 0];
    const matrix = confusionAt(scores, labels);
    expect(matrix).toEqual({ tp: 2, fn: 1, tn: 2, fp: 2 });
    const metrics = computeMetrics(scores, labels);
    expect(metrics.sensitivity).toBe(matrix.tp / (matrix.tp + matrix.fn));
    expect(metrics.specificity).toBe(matrix.tn / (matrix.tn + matrix.fp));
    const histogram = scoreHistogram(scores, labels);
    expect(histogram.positive).toHaveLength(20);
    expect(histogram.positive[10]).toBe(1); // 0.5
    expect(histogram.positive[9]).toBe(1); // 0.49
    expect(histogram.positive[19]).toBe(1); // 0.99
    expect(histogram.negative[19]).toBe(1); // 1 falls in the last bin
    expect(histogram.negative[0]).toBe(1);
    expect(histogram.negative[1]).toBe(1); // 0.051
    expect(histogram.negative[14]).toBe(1);
  });
});
