import type { Cell } from "@/protocol/contract";
import { countInterval, type CountRule } from "@/protocol/disclosure";
import type { PooledCounts, PooledMetrics, SiteMetrics } from "@/protocol/registry";
import type { EvaluateResult, SplitCounts, TrainResult } from "@/protocol/training";

export type { PooledMetrics, SiteMetrics } from "@/protocol/registry";

/**
 * Pools what the sites released into one set of figures for all their held-out persons.
 *
 * Accuracy, sensitivity and specificity come from the SUMMED confusion matrices (cells at 0.5),
 * AUC from the SUMMED per-class score histograms (trapezoid over the bin edges, i.e. Mann-Whitney
 * with pairs in the same bin counted one half). A mean of site figures weighted by examples is
 * wrong for every one of them but accuracy: sensitivity is a share of positives, so a large site
 * with few positives outweighs a small one with many (off by a factor of nine in the disclosure
 * issue's example). Loss, a mean per example, is the example-weighted mean of the site losses.
 *
 * Only sites that released their matrix and histogram are pooled; a site whose positives or
 * negatives fell below its threshold released neither (nor any metric) and is listed as left out.
 * Point figures give a suppressed cell its share of its class's remainder (the released class total
 * minus the class's released cells, shared over its suppressed cells in proportion to what all
 * sites released in those bins, plus one, none above threshold − 1); `bounds` give each
 * figure's range over every exact count the released cells could stand for (`countInterval`:
 * rounding either way, a suppressed cell anywhere from 0 to threshold − 1).
 */
export function poolMetrics(perSite: readonly SiteMetrics[]): PooledMetrics | null {
  const released = perSite.filter(
    (s): s is SiteMetrics & { examples: number } => typeof s.examples === "number" && s.examples > 0,
  );
  if (released.length === 0) return null;
  const examples = released.reduce((n, s) => n + s.examples, 0);
  const withLoss = released.filter((s) => s.metrics.loss !== null);
  const lossWeight = withLoss.reduce((n, s) => n + s.examples, 0);
  const loss =
    lossWeight === 0 ? null : withLoss.reduce((sum, s) => sum + s.metrics.loss! * s.examples, 0) / lossWeight;
  const counts = poolCounts(perSite);
  const matrix = counts?.pooled.confusion;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
  return {
    examples,
    sites: released.length,
    loss,
    accuracy: matrix ? ratio(matrix.tp + matrix.tn, matrix.tp + matrix.tn + matrix.fp + matrix.fn) : null,
    auc: counts ? aucPoint(counts) : null,
    sensitivity: matrix ? ratio(matrix.tp, matrix.tp + matrix.fn) : null,
    specificity: matrix ? ratio(matrix.tn, matrix.tn + matrix.fp) : null,
    ...(counts ? { counts: counts.pooled } : {}),
  };
}

type Bounds = [number, number];
const SUPPRESSED_CELL = "suppressed";

/** A cell's point value (released, or imputed when suppressed) and its interval of exact counts. */
function cellOf(cell: Cell, value: number, rule: CountRule): { value: number; range: Bounds } {
  return { value, range: countInterval(cell, rule, rule.threshold - 1) };
}

/**
 * Point values for one class's cells: released cells as they are; the class total's remainder
 * (released total minus released cells, at least 0) spread evenly over the suppressed ones. The site
 * suppresses so that this remainder is 0 or at least its threshold (complementary suppression).
 */
function imputed(
  cells: readonly Cell[],
  total: Cell | undefined,
  cap = Number.POSITIVE_INFINITY,
  prior?: readonly number[],
): number[] {
  const released = cells.reduce<number>((n, c) => n + (c === SUPPRESSED_CELL ? 0 : c), 0);
  let remainder = typeof total === "number" ? Math.max(0, total - released) : 0;
  const values = cells.map((c) => (c === SUPPRESSED_CELL ? 0 : c));
  // Shares by weight (what all sites released in that bin, plus one), no cell above the cap: a
  // suppressed cell holds fewer persons than its threshold. Cells that reach the cap are filled and
  // the rest shared again among the others.
  let open = cells.flatMap((c, i) => (c === SUPPRESSED_CELL ? [i] : []));
  while (remainder > 1e-9 && open.length > 0) {
    const weight = (i: number) => (prior?.[i] ?? 0) + 1;
    const sum = open.reduce((n, i) => n + weight(i), 0);
    const full = open.filter((i) => values[i]! + (remainder * weight(i)) / sum >= cap);
    if (full.length === 0) {
      for (const i of open) values[i]! += (remainder * weight(i)) / sum;
      break;
    }
    for (const i of full) {
      remainder -= cap - values[i]!;
      values[i] = cap;
    }
    open = open.filter((i) => !full.includes(i));
  }
  return values;
}

/**
 * A class's two matrix cells [called positive, called negative]. When both are suppressed, the
 * class total is split by the share the site's own (rounded) rate gives, else as its histogram is at 0.5.
 */
function imputedPair(
  pair: [Cell, Cell],
  total: Cell | undefined,
  calledPositiveShare: number | null,
  bins: number[],
): number[] {
  if (pair[0] !== SUPPRESSED_CELL || pair[1] !== SUPPRESSED_CELL || typeof total !== "number")
    return imputed(pair, total);
  const all = bins.reduce((a, b) => a + b, 0);
  const above = bins.slice(bins.length / 2).reduce((a, b) => a + b, 0);
  const share = calledPositiveShare ?? (all > 0 ? above / all : 0.5);
  return [total * share, total * (1 - share)];
}

type Summed = { value: number; lo: number; hi: number };
const zero = (): Summed => ({ value: 0, lo: 0, hi: 0 });
const add = (into: Summed, { value, range }: ReturnType<typeof cellOf>) => {
  into.value += value;
  into.lo += range[0];
  into.hi += range[1];
};

function poolCounts(perSite: readonly SiteMetrics[]) {
  const pooledSites = perSite.filter((s) => s.counts?.confusion && s.counts.histogram);
  if (pooledSites.length === 0) return null;
  const bins = pooledSites[0]!.counts!.histogram!.positive.length;
  const cells = { tp: zero(), fp: zero(), tn: zero(), fn: zero() };
  const positive = Array.from({ length: bins }, zero);
  const negative = Array.from({ length: bins }, zero);
  // What every pooled site released per bin and class: where a site's suppressed persons likely are.
  const releasedIn = (side: "positive" | "negative") =>
    Array.from({ length: bins }, (_, k) =>
      pooledSites.reduce((n, s) => {
        const c = s.counts!.histogram![side][k]!;
        return n + (c === SUPPRESSED_CELL ? 0 : c);
      }, 0),
    );
  const prior = { positive: releasedIn("positive"), negative: releasedIn("negative") };
  for (const site of pooledSites) {
    const { confusion, histogram, threshold, rounding, positives, negatives } = site.counts!;
    const rule = { threshold, base: rounding };
    const positiveBins = imputed(histogram!.positive, positives, threshold - 1, prior.positive);
    const negativeBins = imputed(histogram!.negative, negatives, threshold - 1, prior.negative);
    const { sensitivity, specificity } = site.metrics;
    const [tp, fn] = imputedPair([confusion!.tp, confusion!.fn], positives, sensitivity, positiveBins);
    const [fp, tn] = imputedPair(
      [confusion!.fp, confusion!.tn],
      negatives,
      specificity === null ? null : 1 - specificity,
      negativeBins,
    );
    add(cells.tp, cellOf(confusion!.tp, tp!, rule));
    add(cells.fn, cellOf(confusion!.fn, fn!, rule));
    add(cells.fp, cellOf(confusion!.fp, fp!, rule));
    add(cells.tn, cellOf(confusion!.tn, tn!, rule));
    histogram!.positive.forEach((c, k) => add(positive[k]!, cellOf(c, positiveBins[k]!, rule)));
    histogram!.negative.forEach((c, k) => add(negative[k]!, cellOf(c, negativeBins[k]!, rule)));
  }
  const P = positive.reduce((n, c) => n + c.value, 0);
  const N = negative.reduce((n, c) => n + c.value, 0);
  const pooled: PooledCounts = {
    sitesPooled: pooledSites.map((s) => s.siteCode),
    sitesLeftOut: perSite.filter((s) => !pooledSites.includes(s)).map((s) => s.siteCode),
    confusion: { tp: cells.tp.value, fp: cells.fp.value, tn: cells.tn.value, fn: cells.fn.value },
    bins,
    aucBinInterval: binInterval(
      positive.map((c) => c.value),
      negative.map((c) => c.value),
    ),
    bounds: {
      accuracy: ratioBounds([cells.tp, cells.tn], [cells.fp, cells.fn]),
      sensitivity: ratioBounds([cells.tp], [cells.fn]),
      specificity: ratioBounds([cells.tn], [cells.fp]),
      auc: aucBounds(positive, negative),
    },
    roc: rocCurve(
      positive.map((c) => c.value),
      negative.map((c) => c.value),
    ),
    calibration: positive
      .map((p, k) => ({ bin: k, p, n: negative[k]! }))
      .filter(({ p, n }) => p.value + n.value > 0)
      .map(({ bin, p, n }) => ({
        bin,
        midScore: (bin + 0.5) / bins,
        examples: p.value + n.value,
        observed: p.value / (p.value + n.value),
        // The positive fraction over every count the bin's cells could stand for.
        observedRange: [p.lo / Math.max(1, p.lo + n.hi), p.hi / Math.max(1, p.hi + n.lo)] as Bounds,
      })),
  };
  return { pooled, P, N };
}

/** Mann-Whitney over binned scores: a pair in a higher bin is ranked right, a pair in the same bin counts one half. */
function aucPoint({ pooled, P, N }: NonNullable<ReturnType<typeof poolCounts>>): number | null {
  const interval = pooled.aucBinInterval;
  return P > 0 && N > 0 && interval ? (interval[0] + interval[1]) / 2 : null;
}

/** The AUC if every tie within a bin were ranked wrong, and if every one were ranked right. */
function binInterval(positive: number[], negative: number[]): Bounds | null {
  const P = positive.reduce((a, b) => a + b, 0);
  const N = negative.reduce((a, b) => a + b, 0);
  if (P === 0 || N === 0) return null;
  let above = 0; // positives in bins above k
  let concordant = 0;
  let tied = 0;
  for (let k = positive.length - 1; k >= 0; k--) {
    concordant += negative[k]! * above;
    tied += negative[k]! * positive[k]!;
    above += positive[k]!;
  }
  return [concordant / (P * N), (concordant + tied) / (P * N)];
}

/**
 * The AUC's range over every exact count the cells could stand for: each bin surely holds its
 * interval's lower end; the rest (rounding slack and suppressed persons, at most u positives and v
 * negatives) could sit anywhere. Pairs of sure persons in different bins are surely concordant or
 * discordant; every other pair could go either way, and there are at most (P + u)(N + v) pairs.
 */
function aucBounds(positive: Summed[], negative: Summed[]): Bounds | null {
  const lo = (cells: Summed[]) => cells.map((c) => c.lo);
  const p = lo(positive);
  const n = lo(negative);
  const u = positive.reduce((a, c) => a + c.hi - c.lo, 0);
  const v = negative.reduce((a, c) => a + c.hi - c.lo, 0);
  const pairs = (p.reduce((a, b) => a + b, 0) + u) * (n.reduce((a, b) => a + b, 0) + v);
  if (pairs === 0) return null;
  let concordant = 0;
  let discordant = 0;
  let positivesAbove = 0;
  let negativesAbove = 0;
  for (let k = p.length - 1; k >= 0; k--) {
    concordant += n[k]! * positivesAbove;
    discordant += p[k]! * negativesAbove;
    positivesAbove += p[k]!;
    negativesAbove += n[k]!;
  }
  return [concordant / pairs, 1 - discordant / pairs];
}

/** Range of a / (a + b) with the numerator's and the other cells' sums each anywhere in their intervals. */
function ratioBounds(numerator: Summed[], other: Summed[]): Bounds | null {
  const sum = (cells: Summed[], end: "lo" | "hi") => cells.reduce((n, c) => n + c[end], 0);
  const [aLo, aHi, bLo, bHi] = [sum(numerator, "lo"), sum(numerator, "hi"), sum(other, "lo"), sum(other, "hi")];
  if (aHi + bLo === 0 || aLo + bHi === 0) return null;
  return [aLo / (aLo + bHi), aHi / (aHi + bLo)];
}

/** True and false positive rates at each bin edge, from the highest threshold (nothing called positive) down to 0. */
function rocCurve(positive: number[], negative: number[]): PooledCounts["roc"] {
  const P = positive.reduce((a, b) => a + b, 0);
  const N = negative.reduce((a, b) => a + b, 0);
  if (P === 0 || N === 0) return [];
  const bins = positive.length;
  const points: PooledCounts["roc"] = [{ threshold: 1, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = bins - 1; k >= 0; k--) {
    tp += positive[k]!;
    fp += negative[k]!;
    points.push({ threshold: k / bins, fpr: fp / N, tpr: tp / P });
  }
  return points;
}

/** What sites measured of a round's incoming model, before training on it, from their updates' results. */
export function globalValidationOf(updates: readonly { siteCode: string; result: TrainResult }[]): SiteMetrics[] {
  return updates.map(({ siteCode, result }) => {
    const { examples, positives, negatives, confusion, histogram, ...metrics } = result.globalValidation;
    return {
      siteCode,
      examples,
      metrics,
      ...countsOf({ positives, negatives, confusion, histogram }, result.threshold, result.rounding),
    };
  });
}

/** A site's final evaluation (an `evaluate` task's result) as pooled. */
export function evaluationOf(siteCode: string, result: EvaluateResult): SiteMetrics {
  const { positives, negatives, confusion, histogram } = result;
  return {
    siteCode,
    examples: result.examples,
    metrics: result.metrics,
    ...countsOf({ positives, negatives, confusion, histogram }, result.threshold, result.rounding),
  };
}

function countsOf(counts: SplitCounts, threshold: number | undefined, rounding: number | undefined) {
  if (counts.positives === undefined || threshold === undefined) return {};
  return { counts: { ...counts, threshold, rounding: rounding ?? 1 } };
}
