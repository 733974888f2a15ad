import type { CohortDefinition } from "@/protocol/cohort-definition";
import { CONCEPT } from "@/protocol/omop/concepts";
import { demographicsPredicate, EVENT_SOURCES, eventConditions, groupPredicate } from "./criteria";
import { SqlBuilder, type CompileOptions, type SqlQuery } from "./sql-params";

/**
 * Compiles a cohort definition to ONE parameterised statement against OMOP CDM 5.4. It returns one
 * row per person of step 0 (entry event and demographics): how many inclusion rules, in order, the
 * person passed, and the age band and sex of the person at index. Counts, breakdowns and the member
 * sets of every cell follow from these rows, all from one snapshot even under read committed while
 * the site's ETL writes; the rows never leave the site. Each step CTE is referenced twice, so
 * PostgreSQL materialises it and rule k runs only on the persons that passed rules 1..k-1.
 *
 * Pure and deterministic: the same definition and options give the same text and values.
 */
export type CohortRow = {
  /** int8 arrives from node-postgres as a string. */
  person_id: number | string;
  steps: number;
  band: number;
  sex: "male" | "female" | "other";
};

export function compileCohort(definition: CohortDefinition, options: CompileOptions): SqlQuery {
  const builder = new SqlBuilder(options);
  const { ctes } = cohortSteps(builder, definition);
  const rules = definition.inclusionRules.map((_, i) => i + 1);
  const steps = rules.length ? rules.map((k) => `(s${k}.person_id IS NOT NULL)::int`).join(" + ") : "0";
  const text = [
    withClause(builder, ctes),
    // Negative ages (an event dated before the birth year) count in the youngest band, so bands add up to the total.
    `SELECT s0.person_id, ${steps} AS steps, least(greatest(s0.age, 0) / 10, 9) AS band, s0.sex`,
    `  FROM step_0 s0`,
    ...rules.map((k) => `  LEFT JOIN step_${k} s${k} ON s${k}.person_id = s0.person_id`),
    ` ORDER BY s0.person_id`,
  ].join("\n");
  return { text, values: builder.values };
}

/**
 * A statement over the final cohort members, for training datasets: `select` receives the builder
 * (to bind values and add concept sets of its own) and the name of the members' CTE, whose
 * columns are person_id, index_date, age and sex, one row per person, with exactly the semantics
 * of the counts above.
 */
export function compileCohortMembers(
  definition: CohortDefinition,
  options: CompileOptions,
  select: (builder: SqlBuilder, members: string) => string,
): SqlQuery {
  const builder = new SqlBuilder(options);
  const { ctes, last } = cohortSteps(builder, definition);
  const body = select(builder, last);
  return { text: `${withClause(builder, ctes)}\n${body}`, values: builder.values };
}

/** The CTEs that define the cohort: first entry event, demographics (step_0), then one step per inclusion rule. */
function cohortSteps(builder: SqlBuilder, definition: CohortDefinition): { ctes: string[]; last: string } {
  const entry = EVENT_SOURCES[definition.entry.type];
  const entryConditions = eventConditions(builder, definition.entry, "x");
  const male = builder.bind(CONCEPT.male, "int");
  const female = builder.bind(CONCEPT.female, "int");
  const demographics = demographicsPredicate(builder, definition.demographics ?? {}, "e");
  const steps = definition.inclusionRules.map(
    (rule, i) => `step_${i + 1} AS (\n  SELECT e.* FROM step_${i} e WHERE ${groupPredicate(builder, rule.group)}\n)`,
  );
  const ctes = [
    // The index date is the person's FIRST qualifying entry event.
    `index_events AS (
  SELECT x.person_id, min(x.${entry.date}) AS index_date
    FROM ${builder.table(entry.table)} x
   WHERE ${entryConditions.join(" AND ")}
   GROUP BY x.person_id
)`,
    // Age at index by calendar year, as OMOP/ATLAS do: year_of_birth is the one birth field the CDM requires.
    `cohort_members AS (
  SELECT p.person_id, i.index_date,
         extract(year FROM i.index_date)::int - p.year_of_birth AS age,
         CASE p.gender_concept_id WHEN ${male} THEN 'male' WHEN ${female} THEN 'female' ELSE 'other' END AS sex
    FROM index_events i
    JOIN ${builder.table("person")} p ON p.person_id = i.person_id
)`,
    `step_0 AS (\n  SELECT e.* FROM cohort_members e WHERE ${demographics}\n)`,
    ...steps,
  ];
  return { ctes, last: `step_${definition.inclusionRules.length}` };
}

/** Concept sets go first because any later CTE or the final select may use them; call once every criterion is compiled. */
function withClause(builder: SqlBuilder, ctes: string[]): string {
  const conceptSets = builder.conceptSets.map(([name, body]) => `${name} (concept_id) AS (\n    ${body}\n)`);
  return `WITH ${[...conceptSets, ...ctes].join(",\n")}`;
}
