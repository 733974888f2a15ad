import { describe, expect, test } from "vitest";
import { releaseCount, type CountRule } from "@/protocol/disclosure";
import type { SiteMetrics } from "@/protocol/registry";
import { SCORE_BINS } from "@/protocol/training";
import { poolMetrics } from "./pool-metrics";

/** A site's held-out persons: scores with their true class. */
type Person = { score: number; label: 0 | 1 };

const binOf = (score: number) => Math.min(SCORE_BINS - 1, Math.floor(score * SCORE_BINS));

/** What a site releases for these persons under `rule` (the cells as workers/release/metrics-release.ts releases them). */
function siteOf(siteCode: string, persons: Person[], rule: CountRule = { threshold: 1, base: 1 }): SiteMetrics {
  const cell = (n: number) => releaseCount(n, rule);
  const positives = persons.filter((p) => p.label === 1);
  const negatives = persons.filter((p) => p.label === 0);
  const called = (ps: Person[], positive: boolean) => ps.filter((p) => p.score >= 0.5 === positive).length;
  const histogram = (ps: Person[]) => {
    const bins = new Array<number>(SCORE_BINS).fill(0);
    for (const p of ps) bins[binOf(p.score)]!++;
    return bins.map(cell);
  };
  const tp = called(positives, true);
  const tn = called(negatives, false);
  return {
    siteCode,
    examples: cell(persons.length),
    // The site's own (rounded) figures: what the old pooling averaged.
    metrics: {
      loss: 0.5,
      accuracy: (tp + tn) / persons.length,
      auc: exactAuc(persons),
      sensitivity: tp / positives.length,
      specificity: tn / negatives.length,
    },
    counts: {
      threshold: rule.threshold,
      rounding: rule.base,
      positives: cell(positives.length),
      negatives: cell(negatives.length),
      confusion: {
        tp: cell(tp),
        fn: cell(positives.length - tp),
        tn: cell(tn),
        fp: cell(negatives.length - tn),
      },
      histogram: { positive: histogram(positives), negative: histogram(negatives) },
    },
  };
}

/** Mann-Whitney on exact scores, ties one half. */
function exactAuc(persons: Person[]): number {
  const pos = persons.filter((p) => p.label === 1);
  const neg = persons.filter((p) => p.label === 0);
  let sum = 0;
  for (const p of pos) for (const n of neg) sum += p.score > n.score ? 1 : p.score === n.score ? 0.5 : 0;
  return sum / (pos.length * neg.length);
}

const many = (count: number, score: number, label: 0 | 1): Person[] =>
  Array.from({ length: count }, () => ({ score, label }));

/** A deterministic pseudo-random stream, so the test data is the same on every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("pooled metrics from summed counts (disclosure issue, finding 8)", () => {
  // A large site with few positives, all found; a small site with many positives, none found.
  const large = [...many(10, 0.75, 1), ...many(990, 0.25, 0)];
  const small = [...many(90, 0.1, 1), ...many(10, 0.55, 0)];
  const all = [...large, ...small];

  test("sensitivity, specificity and accuracy are those of all held-out persons, not example-weighted means of site figures", () => {
    const pooled = poolMetrics([siteOf("LARGE", large), siteOf("SMALL", small)])!;
    // 10 of the 100 positives are called positive: 0.1. The example-weighted mean of 1.0 and 0.0 is 1000/1100 ≈ 0.91, nine times more.
    expect(pooled.sensitivity).toBe(0.1);
    const weightedMean = (1000 * 1 + 100 * 0) / 1100;
    expect(weightedMean / pooled.sensitivity!).toBeGreaterThan(9);
    expect(pooled.specificity).toBeCloseTo(990 / 1000, 12);
    expect(pooled.accuracy).toBeCloseTo((10 + 990) / 1100, 12);
    expect(pooled.counts!.confusion).toEqual({ tp: 10, fn: 90, tn: 990, fp: 10 });
    expect(pooled.counts!.sitesPooled).toEqual(["LARGE", "SMALL"]);
  });

  test("AUC is the Mann-Whitney AUC of the summed histograms, with the bin resolution stated as an interval", () => {
    const pooled = poolMetrics([siteOf("LARGE", large), siteOf("SMALL", small)])!;
    // Site AUCs are 1 and 0 (weighted mean 0.91); over all persons only the LARGE positives outrank negatives.
    expect(exactAuc(all)).toBeCloseTo(0.1, 12);
    expect(pooled.auc).toBeCloseTo(0.1, 12);
    expect(pooled.counts!.bins).toBe(20);
    // No pair shares a bin here, so the bin resolution costs nothing.
    expect(pooled.counts!.aucBinInterval).toEqual([0.1, 0.1]);

    // Everyone in one bin: the point is 1/2 and the interval says it could be anything.
    const tied = poolMetrics([siteOf("TIED", [...many(30, 0.51, 1), ...many(30, 0.52, 0)])])!;
    expect(tied.auc).toBe(0.5);
    expect(tied.counts!.aucBinInterval).toEqual([0, 1]);
  });

  test("the exact AUC lies in the bin interval, and in the bounds once cells are rounded and suppressed", () => {
    const next = random(7);
    const sites = [0.3, 0.05, 0.5].map((prevalence, i) =>
      Array.from({ length: 400 + 300 * i }, () => {
        const label = next() < prevalence ? 1 : 0;
        // A moderately good model: positives score higher on average.
        const score = Math.min(0.999, Math.max(0, 0.35 + (label ? 0.2 : 0) + (next() - 0.5) * 0.6));
        return { score, label } as Person;
      }),
    );
    const truth = exactAuc(sites.flat());
    const exactCells = poolMetrics(sites.map((s, i) => siteOf(`S${i}`, s)))!;
    const [binLo, binHi] = exactCells.counts!.aucBinInterval!;
    expect(truth).toBeGreaterThanOrEqual(binLo);
    expect(truth).toBeLessThanOrEqual(binHi);
    expect(binHi - binLo).toBeLessThan(0.1);

    const released = poolMetrics(sites.map((s, i) => siteOf(`S${i}`, s, { threshold: 10, base: 5 })))!;
    const { auc, sensitivity, specificity, accuracy } = released.counts!.bounds;
    const [lo, hi] = auc!;
    expect(truth).toBeGreaterThanOrEqual(lo);
    expect(truth).toBeLessThanOrEqual(hi);
    // Suppressed and rounded cells widen the range beyond the bin resolution alone.
    expect(lo).toBeLessThanOrEqual(binLo);
    expect(hi).toBeGreaterThanOrEqual(binHi);
    const pooledTruth = (num: (p: Person) => boolean, den: (p: Person) => boolean) =>
      sites.flat().filter((p) => den(p) && num(p)).length / sites.flat().filter(den).length;
    const truthSensitivity = pooledTruth(
      (p) => p.score >= 0.5,
      (p) => p.label === 1,
    );
    const truthSpecificity = pooledTruth(
      (p) => p.score < 0.5,
      (p) => p.label === 0,
    );
    const truthAccuracy = pooledTruth(
      (p) => p.score >= 0.5 === (p.label === 1),
      () => true,
    );
    for (const [truthOf, range] of [
      [truthSensitivity, sensitivity],
      [truthSpecificity, specificity],
      [truthAccuracy, accuracy],
    ] as const) {
      expect(truthOf).toBeGreaterThanOrEqual(range![0]);
      expect(truthOf).toBeLessThanOrEqual(range![1]);
    }
  });

  test("the ROC runs from (0, 0) to (1, 1) and calibration compares observed positives with each bin's mid score", () => {
    const pooled = poolMetrics([siteOf("LARGE", large), siteOf("SMALL", small)])!;
    const roc = pooled.counts!.roc;
    expect(roc[0]).toEqual({ threshold: 1, fpr: 0, tpr: 0 });
    expect(roc.at(-1)).toEqual({ threshold: 0, fpr: 1, tpr: 1 });
    // Released exactly (threshold 1, rounding 1), so each observed fraction is its own range.
    expect(pooled.counts!.calibration).toEqual([
      { bin: 2, midScore: 0.125, examples: 90, observed: 1, observedRange: [1, 1] },
      { bin: 5, midScore: 0.275, examples: 990, observed: 0, observedRange: [0, 0] },
      { bin: 11, midScore: 0.575, examples: 10, observed: 0, observedRange: [0, 0] },
      { bin: 15, midScore: 0.775, examples: 10, observed: 1, observedRange: [1, 1] },
    ]);
  });

  test("a class whose bins are each suppressed still pools: its released total is spread over them, and the bounds stay honest", () => {
    // 12 positives, 3 in each of bins 12 to 15: every positive bin is suppressed, the total (10 after rounding) is not.
    const persons = [0.62, 0.67, 0.72, 0.77].flatMap((score) => many(3, score, 1)).concat(many(100, 0.12, 0));
    const site = siteOf("FEW", persons, { threshold: 10, base: 5 });
    expect(site.counts!.histogram!.positive.every((c) => c === "suppressed")).toBe(true);
    expect(site.counts!.positives).toBe(10);
    const pooled = poolMetrics([site])!;
    // Which suppressed bins hold them is unknown (empty bins are suppressed too), so the 10 are spread
    // evenly over all 20: 8.5 above the negatives' bin, 0.5 tied in it, 1 below. Truth: 1.
    expect(pooled.auc).toBeCloseTo(0.875, 12);
    expect(pooled.counts!.roc.at(-1)).toEqual({ threshold: 0, fpr: 1, tpr: 1 });
    // Nothing about the positives is sure, so the bounds are wide, but they hold the truth.
    const [lo, hi] = pooled.counts!.bounds.auc!;
    expect(lo).toBeLessThanOrEqual(exactAuc(persons));
    expect(hi).toBeGreaterThanOrEqual(exactAuc(persons));
    // tp (12) is released, fn (0) suppressed with nothing left over: sensitivity 1.
    expect(pooled.sensitivity).toBe(1);
    // Both cells of a class suppressed: the class total is split by the site's own rounded rate.
    const hidden = {
      ...site,
      counts: { ...site.counts!, confusion: { ...site.counts!.confusion!, tp: "suppressed" as const } },
    };
    expect(poolMetrics([{ ...hidden, metrics: { ...hidden.metrics, sensitivity: 0.25 } }])!.sensitivity).toBeCloseTo(
      0.25,
      12,
    );
  });

  test("a site whose positives or negatives were suppressed is left out of the pooled counts", () => {
    const suppressed: SiteMetrics = {
      siteCode: "TINY",
      examples: "suppressed",
      metrics: { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null },
      counts: {
        threshold: 10,
        rounding: 5,
        positives: "suppressed",
        negatives: "suppressed",
        confusion: null,
        histogram: null,
      },
    };
    const pooled = poolMetrics([siteOf("LARGE", large), suppressed])!;
    expect(pooled.sites).toBe(1);
    expect(pooled.counts!.sitesLeftOut).toEqual(["TINY"]);
    expect(pooled.sensitivity).toBe(1);
    expect(poolMetrics([suppressed])).toBeNull();
  });
});
