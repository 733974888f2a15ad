import { describe, expect, test } from "vitest";
import type { SplitEvaluation } from "../training/predict";
import { releaseClassCells, releaseMetrics, releaseSplit, roundMetric } from "./metrics-release";

const rule = { threshold: 10, base: 5 };

/** An exact evaluation as the handlers hand it to the gate. */
function exact(positives: number, negatives: number): SplitEvaluation {
  const tp = Math.floor(positives * 0.7);
  const tn = Math.floor(negatives * 0.9);
  return {
    examples: positives + negatives,
    positives,
    negatives,
    metrics: {
      loss: 0.412345,
      accuracy: (tp + tn) / (positives + negatives),
      auc: 0.87654,
      sensitivity: tp / positives,
      specificity: tn / negatives,
    },
    confusion: { tp, fn: positives - tp, tn, fp: negatives - tn },
    histogram: {
      positive: Array.from({ length: 20 }, (_, k) => (k === 15 ? tp : k === 3 ? positives - tp : 0)),
      negative: Array.from({ length: 20 }, (_, k) => (k === 2 ? tn : k === 12 ? negatives - tn : 0)),
    },
  };
}

describe("metrics release at the site (disclosure issue, finding 3)", () => {
  test("metrics leave rounded to 2 places and every count through the count rule, so N·(1 − specificity) is no exact count", () => {
    // 437 negatives, 393 called negative: specificity 0.899313…, whose exact value gives fp = 44.
    const split = exact(123, 437);
    const released = releaseSplit(split, rule);
    expect(released.metrics).toEqual({ loss: 0.41, accuracy: 0.86, auc: 0.88, sensitivity: 0.7, specificity: 0.9 });
    expect(437 * (1 - released.metrics.specificity!)).not.toBeCloseTo(split.confusion.fp, 3);
    expect(released).toMatchObject({ examples: 560, positives: 125, negatives: 435 });
    expect(released.confusion).toEqual({ tp: 85, fn: 35, tn: 395, fp: 45 });
    for (const cell of [...released.histogram!.positive, ...released.histogram!.negative])
      expect(cell === "suppressed" || cell % 5 === 0).toBe(true);
    expect(released.histogram!.positive[15]).toBe(85);
    expect(released.histogram!.positive[0]).toBe("suppressed");
  });

  test("within a class, suppressed persons number 0 or at least the threshold, so the total minus the released cells singles out no small group", () => {
    expect(releaseClassCells([4, 50, 30], rule)).toEqual(["suppressed", 50, "suppressed"]);
    expect(releaseClassCells([4, 3, 30], rule)).toEqual(["suppressed", "suppressed", "suppressed"]);
    expect(releaseClassCells([4, 9, 30, 40], rule)).toEqual(["suppressed", "suppressed", 30, 40]);
    expect(releaseClassCells([0, 0, 30], rule)).toEqual(["suppressed", "suppressed", 30]);
    // tp 3 of 100 positives: fn is withheld with it, not left to give tp away as positives − fn.
    const split = exact(100, 200);
    split.confusion = { ...split.confusion, tp: 3, fn: 97 };
    expect(releaseSplit(split, rule).confusion).toMatchObject({ tp: "suppressed", fn: "suppressed" });
  });

  test("nothing about a split is released when its positives or its negatives are below the threshold", () => {
    for (const [positives, negatives] of [
      [9, 500],
      [500, 9],
    ] as const) {
      const split = exact(positives, negatives);
      expect(releaseSplit(split, rule)).toEqual({
        examples: "suppressed",
        positives: "suppressed",
        negatives: "suppressed",
        metrics: { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null },
        confusion: null,
        histogram: null,
      });
      // The local model's metrics on the same split are withheld with it.
      expect(releaseMetrics(split, split.metrics, rule).specificity).toBeNull();
    }
    expect(releaseSplit(exact(10, 10), rule).metrics.auc).toBe(0.88);
  });

  test("rounding is to the stated places, halves away from zero, no float tails", () => {
    expect(roundMetric(0.125)).toBe(0.13);
    expect(roundMetric(0.07)).toBe(0.07);
    expect(roundMetric(1)).toBe(1);
    expect(roundMetric(null)).toBeNull();
    expect(roundMetric(Number.NaN)).toBeNull();
    expect(Object.is(roundMetric(-0.001), 0)).toBe(true);
  });
});
