import type { z } from "zod";
import type { CriteriaGroup, EventCriterion, ZDemographics, ZRuleCriterion } from "@/protocol/cohort-definition";
import type { TableName } from "@/protocol/omop/tables";
import { addConceptSet } from "./concept-sets";
import type { SqlBuilder } from "./sql-params";

/**
 * Criteria as SQL: where each kind of event lives in OMOP CDM 5.4 (table, concept column, the
 * date that counts), and inclusion-rule groups as boolean expressions over a person `e` of the
 * cohort (columns person_id, index_date, age, sex). Only fixed names from this file and bound
 * placeholders from the builder ever reach the SQL text.
 */
type EventSource = { table: TableName; concept: string; date: string };

export const EVENT_SOURCES = {
  condition: { table: "condition_occurrence", concept: "condition_concept_id", date: "condition_start_date" },
  procedure: { table: "procedure_occurrence", concept: "procedure_concept_id", date: "procedure_date" },
  drug: { table: "drug_exposure", concept: "drug_concept_id", date: "drug_exposure_start_date" },
  visit: { table: "visit_occurrence", concept: "visit_concept_id", date: "visit_start_date" },
  measurement: { table: "measurement", concept: "measurement_concept_id", date: "measurement_date" },
  imaging: { table: "image_occurrence", concept: "modality_concept_id", date: "image_occurrence_date" },
} as const satisfies Record<EventCriterion["type"], EventSource>;

type Demographics = z.output<typeof ZDemographics>;
type RuleCriterion = z.output<typeof ZRuleCriterion>;

/** The WHERE conditions that make a row of the criterion's table (aliased `alias`) a qualifying event. */
export function eventConditions(builder: SqlBuilder, criterion: EventCriterion, alias: string): string[] {
  const source = EVENT_SOURCES[criterion.type];
  const column = `${alias}.${source.concept}`;
  if (criterion.type === "imaging") {
    return [
      `${column} = ANY(${builder.bind(builder.options.modalityConceptIds[criterion.modality] ?? [], "bigint[]")})`,
    ];
  }
  const conditions = [`${column} IN (SELECT concept_id FROM ${addConceptSet(builder, criterion.concepts)})`];
  if (criterion.type === "measurement" && criterion.value) {
    const { min, max, unitConceptId } = criterion.value;
    // A bound on the value excludes measurements without a numeric value: they cannot be shown to be in range.
    if (min !== undefined) conditions.push(`${alias}.value_as_number >= ${builder.bind(min, "numeric")}`);
    if (max !== undefined) conditions.push(`${alias}.value_as_number <= ${builder.bind(max, "numeric")}`);
    if (unitConceptId !== undefined)
      conditions.push(`${alias}.unit_concept_id = ${builder.bind(unitConceptId, "bigint")}`);
  }
  return conditions;
}

/** Conditions on a cohort member's age at index and sex; TRUE when the demographics ask for nothing. */
export function demographicsPredicate(builder: SqlBuilder, demographics: Demographics, alias: string): string {
  const parts: string[] = [];
  const age = demographics.ageAtIndex;
  if (age?.min !== undefined) parts.push(`${alias}.age >= ${builder.bind(age.min, "numeric")}`);
  if (age?.max !== undefined) parts.push(`${alias}.age <= ${builder.bind(age.max, "numeric")}`);
  if (demographics.sex) parts.push(`${alias}.sex = ANY(${builder.bind([...demographics.sex].sort(), "text[]")})`);
  return parts.length === 0 ? "TRUE" : parts.join(" AND ");
}

/** An inclusion-rule group as one boolean expression over the cohort member `e`. */
export function groupPredicate(builder: SqlBuilder, group: CriteriaGroup): string {
  const items = group.items.map((item) => {
    if (item.kind === "group") return groupPredicate(builder, item);
    if (item.kind === "demographics") return `(${demographicsPredicate(builder, item.demographics, "e")})`;
    return criterionPredicate(builder, item);
  });
  return `(${items.join(group.operator === "AND" ? " AND " : " OR ")})`;
}

function criterionPredicate(builder: SqlBuilder, item: RuleCriterion): string {
  const source = EVENT_SOURCES[item.criterion.type];
  const conditions = [`x.person_id = e.person_id`, ...eventConditions(builder, item.criterion, "x")];
  if (item.window) {
    // date + integer is a date: both ends inclusive, in whole days from the index date.
    const from = builder.bind(item.window.startDays, "int");
    const to = builder.bind(item.window.endDays, "int");
    conditions.push(`x.${source.date} BETWEEN e.index_date + ${from} AND e.index_date + ${to}`);
  }
  const exists = `EXISTS (SELECT 1 FROM ${builder.table(source.table)} x WHERE ${conditions.join(" AND ")})`;
  return item.exclude ? `NOT ${exists}` : exists;
}
