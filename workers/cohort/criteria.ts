import type { z } from "zod";
import type {
  CriteriaGroup,
  EventCriterion,
  ZDemographics,
  ZRuleCriterion,
  ZValueRange,
  ZWindow,
} from "@/protocol/cohort-definition";
import { CONCEPT } from "@/protocol/omop/concepts";
import { eventSource, type EventSource } from "../cdm/event-sources";
import { conceptMembership } from "./concept-sets";
import type { SqlBuilder } from "./sql-params";

/**
 * Criteria as SQL: the rows of a criterion's table that are qualifying events, and inclusion-rule
 * groups as boolean expressions over a cohort event `e` (columns person_id, index_date, index_end, visit_id, op_start,
 * op_end, age, sex). Only fixed names from ../cdm/event-sources.ts and bound placeholders from the
 * builder ever reach the SQL text.
 */
type Demographics = z.output<typeof ZDemographics>;
type RuleCriterion = z.output<typeof ZRuleCriterion>;
type Window = z.output<typeof ZWindow>;

export function sourceOf(builder: SqlBuilder, criterion: EventCriterion): EventSource {
  return eventSource(criterion.type, builder.options.cdmVersion ?? "5.4");
}

/**
 * The qualifying events of a criterion as a FROM item aliased `x` (with its WHERE conditions). With
 * `first`, only the person's first event of the concept set counts, picked before value filters,
 * as ATLAS does: "the first PSA, if it was above 4".
 */
export function eventRows(builder: SqlBuilder, criterion: EventCriterion): { from: string; where: string[] } {
  const source = sourceOf(builder, criterion);
  const table = `${builder.table(source.table)} x`;
  const concepts = conceptConditions(builder, criterion, source);
  const values = [
    ...valueConditions(builder, criterion),
    ...eraConditions(builder, criterion, source),
    ...dateConditions(builder, criterion, source),
    ...personConditions(builder, criterion, source),
  ];
  const rows =
    !("first" in criterion) || !criterion.first || !source.id
      ? { from: table, where: [...concepts, ...values] }
      : {
          from: `(SELECT x.*, row_number() OVER (PARTITION BY x.person_id ORDER BY x.${source.start}, x.${source.id}) AS ordinal
      FROM ${table}${concepts.length ? ` WHERE ${concepts.join(" AND ")}` : ""}) x`,
          where: ["x.ordinal = 1", ...values],
        };
  return criterion.type !== "imaging" && criterion.nested ? withNested(builder, rows, source, criterion.nested) : rows;
}

/**
 * Events that meet the criteria nested in their criterion, as ATLAS has them: each event is the
 * index (`e`) of its nested group, so it must lie in an observation period, and nested events count
 * inside that period unless they ignore it. The group's own criteria alias their rows `x` and see
 * this `e`, the innermost one, whatever encloses it.
 */
function withNested(
  builder: SqlBuilder,
  rows: { from: string; where: string[] },
  source: EventSource,
  nested: CriteriaGroup,
): { from: string; where: string[] } {
  const op = builder.table("observation_period");
  const person = hasDemographics(nested)
    ? {
        columns: `, extract(year FROM x.${source.start})::int - p.year_of_birth AS age, ${sexOf(builder, "p.gender_concept_id")} AS sex`,
        join: `\n        JOIN ${builder.table("person")} p ON p.person_id = x.person_id`,
      }
    : { columns: "", join: "" };
  const visit = source.visit ? `x.${source.visit}` : "NULL::bigint";
  const anchored = `SELECT x.*, x.${source.start} AS index_date, ${source.end("x")} AS index_end, ${visit} AS visit_id,
               op.observation_period_start_date AS op_start, op.observation_period_end_date AS op_end${person.columns}
        FROM ${rows.from}
        JOIN ${op} op ON op.person_id = x.person_id
         AND x.${source.start} >= op.observation_period_start_date AND x.${source.start} <= op.observation_period_end_date${person.join}${rows.where.length ? `\n       WHERE ${rows.where.join(" AND ")}` : ""}`;
  return {
    from: `(SELECT e.* FROM (\n        ${anchored}\n      ) e WHERE ${groupPredicate(builder, nested, true)}) x`,
    where: [],
  };
}

/** Whether a group's own demographics (not those nested in its criteria) need the index's age and sex. */
function hasDemographics(group: CriteriaGroup): boolean {
  return group.items.some((item) => item.kind === "demographics" || (item.kind === "group" && hasDemographics(item)));
}

/** An era's length in days (end minus start, as ATLAS's DATEDIFF) and its count of records, both inclusive. */
function eraConditions(builder: SqlBuilder, criterion: EventCriterion, source: EventSource): string[] {
  if (criterion.type !== "conditionEra" && criterion.type !== "drugEra") return [];
  const conditions: string[] = [];
  for (const [range, value] of [
    [criterion.eraDays, `(${source.end("x")} - x.${source.start})`],
    [criterion.eraCount, `x.${source.eraCount}`],
  ] as const) {
    if (range?.min !== undefined) conditions.push(`${value} >= ${builder.bind(range.min, "numeric")}`);
    if (range?.max !== undefined) conditions.push(`${value} <= ${builder.bind(range.max, "numeric")}`);
  }
  return conditions;
}

/** The event's start and end dates (end as ATLAS reads it) within calendar dates, both inclusive. */
function dateConditions(builder: SqlBuilder, criterion: EventCriterion, source: EventSource): string[] {
  if (criterion.type === "imaging") return [];
  const conditions: string[] = [];
  for (const [range, date] of [
    [criterion.startDate, `x.${source.start}`],
    [criterion.endDate, source.end("x")],
  ] as const) {
    if (range?.from !== undefined) conditions.push(`${date} >= ${builder.bind(range.from, "date")}`);
    if (range?.to !== undefined) conditions.push(`${date} <= ${builder.bind(range.to, "date")}`);
  }
  return conditions;
}

function conceptConditions(builder: SqlBuilder, criterion: EventCriterion, source: EventSource): string[] {
  const column = `x.${source.concept}`;
  if (criterion.type === "imaging") {
    return [
      `${column} = ANY(${builder.bind(builder.options.modalityConceptIds[criterion.modality] ?? [], "bigint[]")})`,
    ];
  }
  const conditions: string[] = [];
  if (criterion.concepts) conditions.push(conceptMembership(builder, column, criterion.concepts));
  if (criterion.sourceConcepts && source.sourceConcept)
    conditions.push(conceptMembership(builder, `x.${source.sourceConcept}`, criterion.sourceConcepts));
  return conditions;
}

function valueConditions(builder: SqlBuilder, criterion: EventCriterion): string[] {
  if ((criterion.type !== "measurement" && criterion.type !== "observation") || !criterion.value) return [];
  const range: z.output<typeof ZValueRange> = criterion.value;
  const conditions: string[] = [];
  // A bound on the value excludes events without a numeric value: they cannot be shown to be in range.
  if (range.min !== undefined)
    conditions.push(`x.value_as_number ${range.isMinExclusive ? ">" : ">="} ${builder.bind(range.min, "numeric")}`);
  if (range.max !== undefined)
    conditions.push(`x.value_as_number ${range.isMaxExclusive ? "<" : "<="} ${builder.bind(range.max, "numeric")}`);
  const units = [...(range.unitConceptId !== undefined ? [range.unitConceptId] : []), ...(range.unitConceptIds ?? [])];
  if (units.length > 0) conditions.push(`x.unit_concept_id = ANY(${builder.bind(sorted(units), "bigint[]")})`);
  if (range.valueConceptIds)
    conditions.push(`x.value_as_concept_id = ANY(${builder.bind(sorted(range.valueConceptIds), "bigint[]")})`);
  return conditions;
}

/** Recorded sex as the cohort reports it, from a person row's gender_concept_id column. */
export function sexOf(builder: SqlBuilder, genderColumn: string): string {
  const male = builder.bind(CONCEPT.male, "int");
  const female = builder.bind(CONCEPT.female, "int");
  return `CASE ${genderColumn} WHEN ${male} THEN 'male' WHEN ${female} THEN 'female' ELSE 'other' END`;
}

/** Age (calendar years, as ATLAS counts) at the event's start and sex of the person, when the criterion asks. */
function personConditions(builder: SqlBuilder, criterion: EventCriterion, source: EventSource): string[] {
  if (criterion.type === "imaging" || (!criterion.age && !criterion.sex)) return [];
  const conditions = ["p.person_id = x.person_id"];
  const age = `(extract(year FROM x.${source.start})::int - p.year_of_birth)`;
  if (criterion.age?.min !== undefined) conditions.push(`${age} >= ${builder.bind(criterion.age.min, "numeric")}`);
  if (criterion.age?.max !== undefined) conditions.push(`${age} <= ${builder.bind(criterion.age.max, "numeric")}`);
  if (criterion.sex)
    conditions.push(
      `${sexOf(builder, "p.gender_concept_id")} = ANY(${builder.bind([...criterion.sex].sort(), "text[]")})`,
    );
  return [`EXISTS (SELECT 1 FROM ${builder.table("person")} p WHERE ${conditions.join(" AND ")})`];
}

/** Conditions on a cohort event's age at index and sex; TRUE when the demographics ask for nothing. */
export function demographicsPredicate(builder: SqlBuilder, demographics: Demographics, alias: string): string {
  const parts: string[] = [];
  const age = demographics.ageAtIndex;
  if (age?.min !== undefined) parts.push(`${alias}.age >= ${builder.bind(age.min, "numeric")}`);
  if (age?.max !== undefined) parts.push(`${alias}.age <= ${builder.bind(age.max, "numeric")}`);
  if (demographics.sex) parts.push(`${alias}.sex = ANY(${builder.bind([...demographics.sex].sort(), "text[]")})`);
  return parts.length === 0 ? "TRUE" : parts.join(" AND ");
}

/**
 * A group as one boolean expression over the cohort event `e`. `inObservation`: the definition has
 * an observation window, so rule events count only inside the index event's observation period.
 */
export function groupPredicate(builder: SqlBuilder, group: CriteriaGroup, inObservation: boolean): string {
  const items = group.items.map((item) => {
    if (item.kind === "group") return groupPredicate(builder, item, inObservation);
    if (item.kind === "demographics") return `(${demographicsPredicate(builder, item.demographics, "e")})`;
    return criterionPredicate(builder, item, inObservation);
  });
  if (group.operator === "AND" || group.operator === "OR") return `(${items.join(` ${group.operator} `)})`;
  // Every item is evaluated and the true ones counted, as ATLAS counts the items an event meets.
  const met = items.map((item) => `(${item})::int`).join(" + ");
  return `((${met}) ${group.operator === "AT_LEAST" ? ">=" : "<="} ${builder.bind(group.count ?? 0, "int")})`;
}

function criterionPredicate(builder: SqlBuilder, item: RuleCriterion, inObservation: boolean): string {
  const source = sourceOf(builder, item.criterion);
  const rows = eventRows(builder, item.criterion);
  const conditions = [`x.person_id = e.person_id`, ...rows.where];
  const isInPeriod = inObservation && !item.ignoreObservationPeriod;
  if (isInPeriod) conditions.push(`x.${source.start} >= e.op_start`, `x.${source.start} <= e.op_end`);
  // An open end of a window on the event's end date stops at the index's observation period, as in ATLAS
  // (on its start date that bound is already there).
  for (const [window, byDefault] of [
    [item.window, "start"],
    [item.endWindow, "end"],
  ] as const) {
    const isEnd = (window?.eventDate ?? byDefault) === "end";
    conditions.push(
      ...windowConditions(builder, isEnd ? source.end("x") : `x.${source.start}`, window, isEnd && isInPeriod),
    );
  }
  // A record without a visit (death) is never in the index event's visit, as in ATLAS.
  if (item.sameVisit) conditions.push(source.visit ? `x.${source.visit} = e.visit_id` : "FALSE");
  const from = `FROM ${rows.from} WHERE ${conditions.join(" AND ")}`;
  const occurrence = item.exclude ? { type: "exactly" as const, count: 0 } : item.occurrence;
  if (!occurrence || (occurrence.type === "atLeast" && occurrence.count <= 1)) return `EXISTS (SELECT 1 ${from})`;
  if (occurrence.count === 0 && occurrence.type !== "atLeast") return `NOT EXISTS (SELECT 1 ${from})`;
  const operator = { atLeast: ">=", atMost: "<=", exactly: "=" }[occurrence.type];
  const counted = occurrence.isDistinct ? `DISTINCT x.${source.concept}` : "*";
  return `(SELECT count(${counted}) ${from}) ${operator} ${builder.bind(occurrence.count, "int")}`;
}

/**
 * date + integer is a date: both ends inclusive, in whole days from the index date. An omitted end
 * is open, or (`isInPeriod`, as ATLAS does) the index's observation period start or end.
 */
function windowConditions(
  builder: SqlBuilder,
  date: string,
  window: Window | undefined,
  isInPeriod: boolean,
): string[] {
  if (!window) return [];
  const conditions: string[] = [];
  const index = window.useIndexEnd ? "e.index_end" : "e.index_date";
  if (window.startDays !== undefined) conditions.push(`${date} >= ${index} + ${builder.bind(window.startDays, "int")}`);
  else if (isInPeriod) conditions.push(`${date} >= e.op_start`);
  if (window.endDays !== undefined) conditions.push(`${date} <= ${index} + ${builder.bind(window.endDays, "int")}`);
  else if (isInPeriod) conditions.push(`${date} <= e.op_end`);
  return conditions;
}

function sorted(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}
