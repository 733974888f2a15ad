import { SUPPRESSED, type Cell } from "@/protocol/contract";
import { countInterval, releaseCount, type CountRule } from "@/protocol/disclosure";

/**
 * The cells of one cohort count and the complementary suppression that keeps them from being
 * differenced. The cells are linked: attrition steps only ever shrink (step k-1 minus step k is the
 * number of persons rule k excluded), and the age bands and the sex cells each add up to the final
 * step, the cohort's total. Suppressing the small cells alone is not enough: a suppressed band
 * follows from the total minus the other bands, and two close attrition steps give away how many
 * persons a rule excluded. So after the small cells are suppressed, this reasons as a reader of the
 * result would: every released figure stands for an interval of exact counts (rounding), every
 * suppressed cell for any count at all, and the links narrow those intervals. Whenever some
 * quantity (a suppressed cell, or the persons one rule excluded) is then pinned between 1 and
 * threshold - 1, one more cell is suppressed, until nothing is.
 */
export type CohortCounts = {
  /** Entry event (with demographics), then after each inclusion rule in order; the last is the total. */
  attrition: number[];
  /** Persons per age band of the final cohort. */
  ageBands: number[];
  /** Persons per sex category of the final cohort. */
  sex: number[];
};

export type CohortCells = { attrition: Cell[]; ageBands: Cell[]; sex: Cell[] };

export type CellGroup = keyof CohortCells;
export type CellRef = { group: CellGroup; index: number };

/** A reader's a-priori bound for a suppressed cell: any count (large enough never to bind). */
const UNBOUNDED = 1e12;
const MAX_PASSES = 200;

export function protectCohortCells(
  counts: CohortCounts,
  rule: CountRule,
  forced: readonly CellRef[] = [],
): CohortCells {
  const cells: CohortCells = {
    attrition: counts.attrition.map((n) => releaseCount(n, rule)),
    ageBands: counts.ageBands.map((n) => releaseCount(n, rule)),
    sex: counts.sex.map((n) => releaseCount(n, rule)),
  };
  for (const ref of forced) cells[ref.group][ref.index] = SUPPRESSED;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const disclosure = findDisclosure(cells, rule, forced);
    if (!disclosure) return cells;
    const next = complementFor(cells, disclosure);
    cells[next.group][next.index] = SUPPRESSED;
  }
  throw new Error("complementary suppression did not settle");
}

/** A quantity a reader could pin between 1 and threshold - 1: a suppressed cell, or the persons rule `step` excluded. */
export type Disclosure = { type: "cell"; ref: CellRef } | { type: "excluded"; step: number };

type Interval = [number, number];

/**
 * `forced` cells were suppressed because they nearly match a cell released earlier: a reader must not
 * be able to narrow them to fewer than threshold - 1 possible values either, or subtracting the earlier
 * cell would still pin the few persons between them.
 */
export function findDisclosure(
  cells: CohortCells,
  rule: CountRule,
  forced: readonly CellRef[] = [],
): Disclosure | null {
  const bounds = readerBounds(cells, rule);
  const isPinned = ([lo, hi]: Interval) => lo >= 1 && hi <= rule.threshold - 1;
  for (const ref of forced) {
    const [lo, hi] = bounds[ref.group][ref.index]!;
    if (hi - lo < rule.threshold - 1) return { type: "cell", ref };
  }
  for (const group of ["attrition", "ageBands", "sex"] as const) {
    const index = cells[group].findIndex((cell, i) => cell === SUPPRESSED && isPinned(bounds[group][i]!));
    if (index >= 0) return { type: "cell", ref: { group, index } };
  }
  const steps = bounds.attrition;
  for (let step = 1; step < steps.length; step++) {
    const [beforeLo, beforeHi] = steps[step - 1]!;
    const [afterLo, afterHi] = steps[step]!;
    if (isPinned([Math.max(0, beforeLo - afterHi), beforeHi - afterLo])) return { type: "excluded", step };
  }
  return null;
}

/** The interval of exact counts each cell could hold, given every released figure and the links between cells. */
export function readerBounds(cells: CohortCells, rule: CountRule): Record<CellGroup, Interval[]> {
  const bounds = {
    attrition: cells.attrition.map((c) => countInterval(c, rule, UNBOUNDED)),
    ageBands: cells.ageBands.map((c) => countInterval(c, rule, UNBOUNDED)),
    sex: cells.sex.map((c) => countInterval(c, rule, UNBOUNDED)),
  };
  const steps = bounds.attrition;
  const total = steps.length - 1;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    let changed = false;
    const narrow = (interval: Interval, lo: number, hi: number) => {
      if (lo > interval[0]) [interval[0], changed] = [lo, true];
      if (hi < interval[1]) [interval[1], changed] = [hi, true];
    };
    // Each step holds at most the persons of the step before it.
    for (let i = 0; i < total; i++) {
      narrow(steps[i]!, steps[i + 1]![0], UNBOUNDED);
      narrow(steps[i + 1]!, 0, steps[i]![1]);
    }
    for (const parts of [bounds.ageBands, bounds.sex]) {
      const sum = steps[total]!;
      const sumLo = parts.reduce((a, p) => a + p[0], 0);
      const sumHi = parts.reduce((a, p) => a + p[1], 0);
      narrow(sum, sumLo, sumHi);
      for (const part of parts) narrow(part, sum[0] - (sumHi - part[1]), sum[1] - (sumLo - part[0]));
    }
    if (!changed) return bounds;
  }
  return bounds;
}

/** The released cell whose suppression breaks the link that gives the disclosure away. */
function complementFor(cells: CohortCells, disclosure: Disclosure): CellRef {
  const total = cells.attrition.length - 1;
  if (disclosure.type === "excluded") {
    const { step } = disclosure;
    // Prefer the later step, but never the total when the step before it can go instead.
    if (step < total && cells.attrition[step] !== SUPPRESSED) return { group: "attrition", index: step };
    if (cells.attrition[step - 1] !== SUPPRESSED) return { group: "attrition", index: step - 1 };
    return { group: "attrition", index: step };
  }
  const { group, index } = disclosure.ref;
  if (group === "attrition") {
    // A suppressed step pinned by its neighbours: suppress the released neighbour after it, else before it.
    const after = cells.attrition.findIndex((c, i) => i > index && c !== SUPPRESSED && i !== total);
    if (after >= 0) return { group, index: after };
    const before = cells.attrition.findLastIndex((c, i) => i < index && c !== SUPPRESSED);
    return { group, index: before >= 0 ? before : total };
  }
  // A part of the age or sex breakdown: suppress its smallest released sibling.
  let smallest = -1;
  cells[group].forEach((c, i) => {
    if (i !== index && c !== SUPPRESSED && (smallest < 0 || c < (cells[group][smallest] as number))) smallest = i;
  });
  return smallest >= 0 ? { group, index: smallest } : { group: "attrition", index: total };
}
