import type { CohortDefinition } from "@/protocol/cohort-definition";
import { demographicsPredicate, eventRows, groupPredicate, sexOf, sourceOf } from "./criteria";
import { SqlBuilder, type CompileOptions, type SqlQuery } from "./sql-params";

/**
 * Compiles a cohort definition to ONE parameterised statement against OMOP CDM. It returns one row
 * per person of step 0 (entry events, demographics and qualifying criteria): how many inclusion
 * rules, in order, the person passed (with several events per person, the best of their events),
 * and the age band and sex at the index event. Counts, breakdowns and the member sets of every
 * cell follow from these rows, all from one snapshot even under read committed while the site's
 * ETL writes; the rows never leave the site. Each step CTE is referenced twice, so PostgreSQL
 * materialises it and rule k runs only on the events that passed rules 1..k-1.
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
  const { ctes, isOnePerPerson } = cohortSteps(builder, definition);
  const rules = definition.inclusionRules.map((_, i) => i + 1);
  const steps = rules.length ? rules.map((k) => `(s${k}.event_id IS NOT NULL)::int`).join(" + ") : "0";
  // Negative ages (an event dated before the birth year) count in the youngest band, so bands add up to the total.
  const columns = `s0.person_id, ${steps} AS steps, least(greatest(s0.age, 0) / 10, 9) AS band, s0.sex`;
  const joins = rules.map((k) => `  LEFT JOIN step_${k} s${k} ON s${k}.event_id = s0.event_id`);
  const body = isOnePerPerson
    ? [`SELECT ${columns}`, `  FROM step_0 s0`, ...joins, ` ORDER BY s0.person_id`]
    : [
        // A person counts at the furthest step any of their events reached, described by that event.
        `SELECT DISTINCT ON (s0.person_id) ${columns}`,
        `  FROM step_0 s0`,
        ...joins,
        ` ORDER BY s0.person_id, 2 DESC, ${eventOrder(definition, "s0")}`,
      ];
  return { text: [withClause(builder, ctes), ...body].join("\n"), values: builder.values };
}

/**
 * A statement over the final cohort members, for training datasets: `select` receives the builder
 * (to bind values and add concept sets of its own) and the name of the members' CTE, whose
 * columns are person_id, index_date, age and sex, one row per person (the expression limit's
 * event), with exactly the semantics of the counts above.
 */
export function compileCohortMembers(
  definition: CohortDefinition,
  options: CompileOptions,
  select: (builder: SqlBuilder, members: string) => string,
): SqlQuery {
  const builder = new SqlBuilder(options);
  const { ctes, isOnePerPerson } = cohortSteps(builder, definition);
  const last = `step_${definition.inclusionRules.length}`;
  if (!isOnePerPerson)
    ctes.push(
      `cohort_index AS (\n  SELECT DISTINCT ON (e.person_id) e.* FROM ${last} e ORDER BY e.person_id, ${eventOrder(definition, "e")}\n)`,
    );
  const body = select(builder, isOnePerPerson ? last : "cohort_index");
  return { text: `${withClause(builder, ctes)}\n${body}`, values: builder.values };
}

function eventOrder(definition: CohortDefinition, alias: string): string {
  const direction = definition.expressionLimit === "last" ? " DESC" : "";
  return `${alias}.index_date${direction}, ${alias}.event_id`;
}

/**
 * The CTEs that define the cohort: entry events (in an observation period when asked, limited per
 * person), the person's age and sex at each, qualifying criteria and demographics (step_0, limited
 * per person), then one step per inclusion rule.
 */
function cohortSteps(builder: SqlBuilder, definition: CohortDefinition): { ctes: string[]; isOnePerPerson: boolean } {
  const entryLimit = definition.entryLimit ?? "first";
  const isOnePerPerson = entryLimit !== "all" || (definition.qualifiedLimit ?? "first") !== "all";
  const inObservation = definition.observationWindow !== undefined;
  const entryEvents = entryEventsCte(builder, definition);
  const qualifying = [
    demographicsPredicate(builder, definition.demographics ?? {}, "e"),
    ...(definition.qualifyingCriteria ? [groupPredicate(builder, definition.qualifyingCriteria, inObservation)] : []),
  ];
  const ctes = [
    entryEvents,
    limitedCte("primary_events", "entry_events", entryLimit, "start_date"),
    // Age at index by calendar year, as OMOP/ATLAS do: year_of_birth is the one birth field the CDM requires.
    `cohort_events AS MATERIALIZED (
  SELECT row_number() OVER () AS event_id, p.person_id, i.start_date AS index_date, i.end_date AS index_end, i.visit_id,
         i.op_start, i.op_end,
         extract(year FROM i.start_date)::int - p.year_of_birth AS age,
         ${sexOf(builder, "p.gender_concept_id")} AS sex
    FROM primary_events i
    JOIN ${builder.table("person")} p ON p.person_id = i.person_id
)`,
    `qualified_events AS (\n  SELECT e.* FROM cohort_events e WHERE ${qualifying.join(" AND ")}\n)`,
    // One event per person already when the entry limit kept one.
    limitedCte(
      "step_0",
      "qualified_events",
      entryLimit === "all" ? (definition.qualifiedLimit ?? "first") : "all",
      "index_date",
    ),
    ...definition.inclusionRules.map(
      (rule, i) =>
        `step_${i + 1} AS (\n  SELECT e.* FROM step_${i} e WHERE ${groupPredicate(builder, rule.group, inObservation)}\n)`,
    ),
  ];
  return { ctes, isOnePerPerson };
}

/** Every entry event (of any of the entry criteria), with the observation period it lies in when asked. */
function entryEventsCte(builder: SqlBuilder, definition: CohortDefinition): string {
  const selects = [definition.entry, ...(definition.extraEntries ?? [])].map((criterion) => {
    const source = sourceOf(builder, criterion);
    const rows = eventRows(builder, criterion);
    const visit = source.visit ? `x.${source.visit}` : "NULL::bigint";
    return `SELECT x.person_id, x.${source.start} AS start_date, ${source.end("x")} AS end_date, ${visit} AS visit_id FROM ${rows.from}${rows.where.length ? ` WHERE ${rows.where.join(" AND ")}` : ""}`;
  });
  const events = selects.length === 1 ? selects[0]! : selects.join("\n    UNION ALL\n    ");
  const window = definition.observationWindow;
  if (!window)
    return `entry_events AS (\n  SELECT ev.person_id, ev.start_date, ev.end_date, ev.visit_id, NULL::date AS op_start, NULL::date AS op_end\n    FROM (\n    ${events}\n    ) ev\n)`;
  const prior = builder.bind(window.priorDays, "int");
  const post = builder.bind(window.postDays, "int");
  return `entry_events AS (
  SELECT ev.person_id, ev.start_date, ev.end_date, ev.visit_id, op.observation_period_start_date AS op_start, op.observation_period_end_date AS op_end
    FROM (
    ${events}
    ) ev
    JOIN ${builder.table("observation_period")} op ON op.person_id = ev.person_id
     AND op.observation_period_start_date + ${prior} <= ev.start_date
     AND ev.start_date + ${post} <= op.observation_period_end_date
)`;
}

function limitedCte(name: string, from: string, limit: "first" | "last" | "all", date: string): string {
  if (limit === "all") return `${name} AS (\n  SELECT * FROM ${from}\n)`;
  const direction = limit === "last" ? " DESC" : "";
  return `${name} AS (\n  SELECT DISTINCT ON (person_id) * FROM ${from} ORDER BY person_id, ${date}${direction}\n)`;
}

/** Concept sets go first because any later CTE or the final select may use them; call once every criterion is compiled. */
function withClause(builder: SqlBuilder, ctes: string[]): string {
  const conceptSets = builder.conceptSets.map(([name, body]) => `${name} (concept_id) AS (\n    ${body}\n)`);
  return `WITH ${[...conceptSets, ...ctes].join(",\n")}`;
}
