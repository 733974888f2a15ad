import type { CohortDefinition, CriteriaGroup, EventCriterion } from "@/protocol/cohort-definition";

export type GroupItem = CriteriaGroup["items"][number];
export type RuleCriterion = Extract<GroupItem, { kind: "criterion" }>;
export type Demographics = NonNullable<CohortDefinition["demographics"]>;
export type InclusionRule = CohortDefinition["inclusionRules"][number];
export type EventType = EventCriterion["type"];
export type { ConceptRef } from "@/protocol/cohort-definition";
export type Path = (string | number)[];

export const EVENT_TYPES: {
  value: EventType;
  label: string;
  domain?: "Condition" | "Procedure" | "Measurement" | "Drug" | "Visit";
}[] = [
  { value: "condition", label: "Condition", domain: "Condition" },
  { value: "procedure", label: "Procedure", domain: "Procedure" },
  { value: "measurement", label: "Measurement", domain: "Measurement" },
  { value: "drug", label: "Drug exposure", domain: "Drug" },
  { value: "visit", label: "Visit", domain: "Visit" },
  { value: "conditionEra", label: "Condition era", domain: "Condition" },
  { value: "drugEra", label: "Drug era", domain: "Drug" },
  { value: "imaging", label: "Imaging study" },
];

export function emptyEvent(type: EventType): EventCriterion {
  if (type === "imaging") return { type, modality: "CT" };
  if (type === "measurement") return { type, concepts: [] };
  return { type, concepts: [] };
}

export function emptyCohort(): CohortDefinition {
  return { version: 1, entry: emptyEvent("condition"), inclusionRules: [] };
}

export function emptyCriterion(): RuleCriterion {
  return { kind: "criterion", criterion: emptyEvent("condition"), exclude: false };
}

export function emptyGroup(): CriteriaGroup {
  return { kind: "group", operator: "AND", items: [emptyCriterion()] };
}

export function emptyRule(index: number): InclusionRule {
  return { name: `Rule ${index + 1}`, group: emptyGroup() };
}

/** Stable DOM ids from a definition path, so labels and inline issues line up. */
export function idFor(path: Path, field: string): string {
  return ["cohort", ...path, field].join("-");
}

export function moveItem<T>(items: T[], from: number, to: number): T[] {
  if (to < 0 || to >= items.length) return items;
  const next = [...items];
  const [moved] = next.splice(from, 1);
  next.splice(to, 0, moved!);
  return next;
}

export function replaceAt<T>(items: T[], index: number, value: T): T[] {
  return items.map((item, i) => (i === index ? value : item));
}
