import { conceptMembership } from "../cohort/concept-sets";
import type { SqlBuilder } from "../cohort/sql-params";
import type { TabularFeature } from "@/protocol/model-spec";
import type { Outcome, Split } from "@/protocol/training";
import { splitExamples, type Dataset } from "./examples";
import { splitOf } from "./split";

/**
 * Tabular examples: one per cohort member, read in the same statement as the cohort (one
 * snapshot). Feature `i` is column `f_i` and the label is `label`, all computed in SQL relative to
 * the member's index date; only bound values and fixed names reach the SQL text.
 */
export type TabularRow = { person_id: number; label: boolean } & Record<string, number | string | boolean | null>;

const AGGREGATES = { mean: "avg", max: "max", min: "min" } as const;

/** The select over the cohort members `members` (person_id, index_date, age, sex). */
export function tabularSelect(
  builder: SqlBuilder,
  members: string,
  features: readonly TabularFeature[],
  outcome: Outcome,
): string {
  const columns = features.map((feature, i) => `${featureSql(builder, feature)} AS f_${i}`);
  return `SELECT m.person_id, ${[...columns, `${outcomeSql(builder, outcome, "m.index_date")} AS label`].join(",\n       ")}
  FROM ${members} m ORDER BY m.person_id`;
}

function featureSql(builder: SqlBuilder, feature: TabularFeature): string {
  const from = feature.from;
  if (from.source === "demographic") return from.field === "age_at_index" ? "m.age" : "m.sex";
  if (from.source === "condition") {
    const concepts = conceptMembership(
      builder,
      "x.condition_concept_id",
      from.conceptIds.map((conceptId) => ({ conceptId, includeDescendants: true })),
    );
    return `EXISTS (SELECT 1 FROM ${builder.table("condition_occurrence")} x
      WHERE x.person_id = m.person_id AND ${concepts} AND x.condition_start_date <= m.index_date)`;
  }
  const conditions = [
    "x.person_id = m.person_id",
    `x.measurement_concept_id = ${builder.bind(from.conceptId, "bigint")}`,
    "x.value_as_number IS NOT NULL",
    // date - integer is a date: the window includes the index date and windowDays before it.
    `x.measurement_date BETWEEN m.index_date - ${builder.bind(from.windowDays, "int")} AND m.index_date`,
  ];
  if (from.unitConceptId !== undefined)
    conditions.push(`x.unit_concept_id = ${builder.bind(from.unitConceptId, "bigint")}`);
  const where = `FROM ${builder.table("measurement")} x WHERE ${conditions.join(" AND ")}`;
  if (from.aggregation === "latest") {
    return `(SELECT x.value_as_number::float8 ${where} ORDER BY x.measurement_date DESC, x.measurement_id DESC LIMIT 1)`;
  }
  return `(SELECT ${AGGREGATES[from.aggregation]}(x.value_as_number)::float8 ${where})`;
}

/**
 * Whether the person has an outcome condition starting on/after `fromDate` (tabular: the index
 * date, within withinDays when given) or, with `onOrBefore`, starting on/before it (images: the scan date).
 */
export function outcomeSql(builder: SqlBuilder, outcome: Outcome, date: string, onOrBefore = false): string {
  const concepts = conceptMembership(
    builder,
    "x.condition_concept_id",
    outcome.conceptIds.map((conceptId) => ({ conceptId, includeDescendants: outcome.includeDescendants })),
  );
  const conditions = [`x.person_id = m.person_id`, concepts];
  if (onOrBefore) conditions.push(`x.condition_start_date <= ${date}`);
  else {
    conditions.push(`x.condition_start_date >= ${date}`);
    if (outcome.withinDays !== undefined)
      conditions.push(`x.condition_start_date <= ${date} + ${builder.bind(outcome.withinDays, "int")}`);
  }
  return `EXISTS (SELECT 1 FROM ${builder.table("condition_occurrence")} x WHERE ${conditions.join(" AND ")})`;
}

/** One input column of the model: its raw value per row (null = missing) and how it is encoded. */
type Column = { values: (number | null)[]; isStandardised: boolean };

function columnsOf(rows: readonly TabularRow[], feature: TabularFeature, i: number): Column[] {
  const raw = rows.map((row) => row[`f_${i}`] ?? null);
  if (feature.from.source === "demographic" && feature.from.field === "sex") {
    const male = raw.map((sex) => (sex === "male" ? 1 : 0));
    if (feature.encoding === "binary") return [{ values: male, isStandardised: false }];
    return [
      { values: male, isStandardised: false },
      { values: raw.map((sex) => (sex === "female" ? 1 : 0)), isStandardised: false },
    ];
  }
  const values = raw.map((value) => (value === null ? null : Number(value)));
  return [{ values, isStandardised: feature.encoding === "standardise" }];
}

/**
 * Encodes rows into model inputs. Missing measurements are imputed with the mean of this site's
 * TRAINING split; "standardise" uses the training split's mean and standard deviation. Both are
 * per-site statistics (the hub never sees them), so the same raw value maps to slightly different
 * inputs at different sites: a known limitation of per-site standardisation.
 */
export function encodeTabular(rows: readonly TabularRow[], features: readonly TabularFeature[], split: Split): Dataset {
  const splits = rows.map((row) => splitOf(split, row.person_id));
  // Imputation and standardisation use the training split only: validation and test persons stay unseen.
  const isValidation = splits.map((name) => name !== "train");
  const columns = features.flatMap((feature, i) => columnsOf(rows, feature, i));
  const encoded = columns.map(({ values, isStandardised }) => {
    const training = values.filter((value, r): value is number => value !== null && !isValidation[r]);
    const mean = training.length > 0 ? training.reduce((sum, v) => sum + v, 0) / training.length : 0;
    const variance = training.length > 0 ? training.reduce((sum, v) => sum + (v - mean) ** 2, 0) / training.length : 0;
    // A constant column has no spread to divide by; centring it is all standardising can do.
    const sd = Math.sqrt(variance) || 1;
    return values.map((value) => {
      const filled = value ?? mean;
      return isStandardised ? (filled - mean) / sd : filled;
    });
  });
  const examples = rows.map((row, r) => ({
    x: encoded.map((column) => column[r]!),
    y: row.label ? 1 : 0,
    split: splits[r]!,
  }));
  return { exampleShape: [columns.length], ...splitExamples(examples, columns.length) };
}
