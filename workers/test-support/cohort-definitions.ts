import type { CohortDefinitionInput, CriteriaGroup, EventCriterion } from "@/protocol/cohort-definition";

/** Builders that keep cohort definitions in tests short enough to read next to their expected counts. */
type Entry = EventCriterion;
type Group = CriteriaGroup;
type Item = CriteriaGroup["items"][number];
type Window = { startDays: number; endDays: number };

export const concepts = (ids: number[], includeDescendants = true) =>
  ids.map((conceptId) => ({ conceptId, includeDescendants, isExcluded: false, includeMapped: false }));
export const condition = (ids: number[], includeDescendants = true): Entry => ({
  type: "condition",
  concepts: concepts(ids, includeDescendants),
});
export const procedure = (ids: number[], includeDescendants = true): Entry => ({
  type: "procedure",
  concepts: concepts(ids, includeDescendants),
});
export const drug = (ids: number[]): Entry => ({ type: "drug", concepts: concepts(ids) });
export const visit = (ids: number[]): Entry => ({ type: "visit", concepts: concepts(ids) });
export const measurement = (ids: number[], value?: { min?: number; max?: number; unitConceptId?: number }): Entry => ({
  type: "measurement",
  concepts: concepts(ids),
  value,
});
export const imaging = (modality: "CT" | "MR" | "XR" | "US"): Entry => ({ type: "imaging", modality });

export const has = (criterion: Entry, window?: Window): Item => ({
  kind: "criterion",
  criterion,
  window,
  exclude: false,
});
export const hasNo = (criterion: Entry, window?: Window): Item => ({
  kind: "criterion",
  criterion,
  window,
  exclude: true,
});
export const demographic = (demographics: {
  ageAtIndex?: { min?: number; max?: number };
  sex?: ("male" | "female")[];
}): Item => ({ kind: "demographics", demographics });
export const all = (...items: Item[]): Group => ({ kind: "group", operator: "AND", items });
export const any = (...items: Item[]): Group => ({ kind: "group", operator: "OR", items });

export function cohort(
  entry: Entry,
  extra: Omit<CohortDefinitionInput, "version" | "entry"> = {},
): CohortDefinitionInput {
  return { version: 1, entry, ...extra };
}

/** A cohort whose single inclusion rule is `group`. */
export function withRule(entry: Entry, group: Group, name = "Rule"): CohortDefinitionInput {
  return cohort(entry, { inclusionRules: [{ name, group }] });
}
