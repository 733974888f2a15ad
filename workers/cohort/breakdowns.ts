import { AGE_BANDS, type CohortCountResult } from "@/protocol/contract";
import type { CohortDefinition } from "@/protocol/cohort-definition";
import { suppress } from "../tasks/suppression";
import type { CohortRow } from "./compile";

/** Exact counts as computed at the site; they never leave it before `suppressCohortCounts`. */
export type CohortCounts = {
  /** Entry event (with demographics), then after each inclusion rule in order. */
  attrition: number[];
  /** Persons per age band, in AGE_BANDS order. */
  ageBands: number[];
  sex: Record<Sex, number>;
};

const SEX_CATEGORIES = ["male", "female", "other"] as const;
type Sex = (typeof SEX_CATEGORIES)[number];

/** Label of the first attrition step. */
const ENTRY_STEP = "Entry event";

export function countsFromRows(rows: readonly CohortRow[], ruleCount: number): CohortCounts {
  const attrition = Array.from({ length: ruleCount + 1 }, () => 0);
  const ageBands = AGE_BANDS.map(() => 0);
  const sex: Record<Sex, number> = { male: 0, female: 0, other: 0 };
  for (const row of rows) {
    if (row.kind === "attrition" && row.step !== null) {
      attrition[row.step] = row.persons;
    } else if (row.kind === "breakdown" && row.band !== null) {
      ageBands[row.band] = (ageBands[row.band] ?? 0) + row.persons;
      const category = SEX_CATEGORIES.find((s) => s === row.sex) ?? "other";
      sex[category] += row.persons;
    }
  }
  return { attrition, ageBands, sex };
}

/** The result that may leave the site: every cell below the threshold, zero included, is "suppressed". */
export function suppressCohortCounts(
  definition: CohortDefinition,
  counts: CohortCounts,
  threshold: number,
): CohortCountResult {
  const names = [ENTRY_STEP, ...definition.inclusionRules.map((rule) => rule.name)];
  const cell = (n: number) => suppress(n, threshold);
  return {
    threshold,
    total: cell(counts.attrition.at(-1) ?? 0),
    attrition: names.map((rule, i) => ({ rule, remaining: cell(counts.attrition[i] ?? 0) })),
    ageBands: AGE_BANDS.map((band, i) => ({ band, persons: cell(counts.ageBands[i] ?? 0) })),
    sex: SEX_CATEGORIES.map((s) => ({ sex: s, persons: cell(counts.sex[s]) })),
  };
}
