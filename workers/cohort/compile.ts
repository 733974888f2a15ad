import type { CohortDefinition } from "../protocol/cohort-definition";
import { CONCEPT } from "../site-data/concepts";
import { demographicsPredicate, EVENT_SOURCES, eventConditions, groupPredicate } from "./criteria";
import { SqlBuilder, type CompileOptions, type SqlQuery } from "./sql-params";

/**
 * Compiles a cohort definition to ONE parameterised statement against OMOP CDM 5.4. It returns
 * rows of two kinds: `attrition` (step 0 = entry event and demographics, step k = after inclusion
 * rule k) and `breakdown` (age band index and sex of the final cohort). One statement means one
 * snapshot: attrition and breakdowns always describe the same persons, even under read committed
 * while the site's ETL writes. Each step CTE is referenced twice, so PostgreSQL materialises it and
 * rule k runs only on the persons that passed rules 1..k-1.
 *
 * Pure and deterministic: the same definition and options give the same text and values.
 */
export type CohortRow = { kind: "attrition" | "breakdown"; step: number | null; band: number | null; sex: string | null; persons: number };

export function compileCohort(definition: CohortDefinition, options: CompileOptions): SqlQuery {
  const builder = new SqlBuilder(options);
  const entry = EVENT_SOURCES[definition.entry.type];
  const entryConditions = eventConditions(builder, definition.entry, "x");
  const male = builder.bind(CONCEPT.male, "int");
  const female = builder.bind(CONCEPT.female, "int");
  const demographics = demographicsPredicate(builder, definition.demographics ?? {}, "e");
  const steps = definition.inclusionRules.map((rule, i) => `step_${i + 1} AS (\n  SELECT e.* FROM step_${i} e WHERE ${groupPredicate(builder, rule.group)}\n)`);
  const last = `step_${definition.inclusionRules.length}`;

  const ctes = [
    ...builder.conceptSets.map(([name, body]) => `${name} (concept_id) AS (\n    ${body}\n)`),
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
  const counts = definition.inclusionRules.map((_, i) => `SELECT 'attrition', ${i + 1}, NULL, NULL, count(*)::int FROM step_${i + 1}`);
  const text = [
    `WITH ${ctes.join(",\n")}`,
    `SELECT 'attrition' AS kind, 0 AS step, NULL::int AS band, NULL::text AS sex, count(*)::int AS persons FROM step_0`,
    ...counts.map((select) => `UNION ALL ${select}`),
    // Negative ages (an event dated before the birth year) count in the youngest band, so bands add up to the total.
    `UNION ALL SELECT 'breakdown', NULL, least(greatest(e.age, 0) / 10, 9), e.sex, count(*)::int FROM ${last} e GROUP BY 3, 4`,
  ].join("\n");
  return { text, values: builder.values };
}
