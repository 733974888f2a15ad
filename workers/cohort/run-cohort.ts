import { eventCriteriaOf, type CohortDefinition } from "@/protocol/cohort-definition";
import type { SiteQuery } from "../site-db";
import type { TableName } from "@/protocol/omop/tables";
import { modalityCode, type ModalityCode } from "@/protocol/omop/modality";
import { eventSource } from "../cdm/event-sources";
import { inspectSiteSchema } from "../cdm/site-schema";
import { TaskError } from "../release/failures";
import { evidenceFromRows, type CohortEvidence } from "./breakdowns";
import { resolveConceptSets } from "./concept-sets";
import { compileCohort, compileCohortMembers, type CohortRow } from "./compile";
import type { CompileOptions, SqlBuilder } from "./sql-params";

/**
 * Runs a cohort definition inside the caller's read-only transaction and returns exact counts and
 * who they count. The site's schema is inspected first: its CDM version picks the column names, and
 * a definition that needs a table the site lacks (the MI-CDM imaging tables, typically) is refused
 * with the reason, never run into a database error. Imaging criteria name a modality, not concepts:
 * the modality concepts this site's images use are classified first with the same mapping the site
 * inventory uses, then bound as ids. The definition's concept sets are likewise resolved first
 * against the site's vocabulary, in the same transaction, and bound as ids: the planner then
 * estimates from each table's statistics how many events a criterion matches.
 */
export type RunCohortOptions = { table: (name: TableName) => string };

export async function runCohort(
  query: SiteQuery,
  definition: CohortDefinition,
  options: RunCohortOptions,
): Promise<CohortEvidence> {
  const compiled = compileCohort(definition, await prepare(query, definition, options, false));
  await withoutJit(query);
  const rows = await query<CohortRow>(compiled.text, compiled.values);
  return evidenceFromRows(rows, definition.inclusionRules.length);
}

/**
 * Runs a statement over the final cohort members (see compileCohortMembers). `withModalities`
 * resolves this site's imaging modality concepts even when the definition does not use imaging,
 * for selects that read image_occurrence themselves (through builder.options.modalityConceptIds).
 */
export async function queryCohortMembers<R extends Record<string, unknown>>(
  query: SiteQuery,
  definition: CohortDefinition,
  options: RunCohortOptions & { withModalities?: boolean },
  select: (builder: SqlBuilder, members: string) => string,
): Promise<R[]> {
  const compiled = compileCohortMembers(
    definition,
    await prepare(query, definition, options, options.withModalities ?? false),
    select,
  );
  await withoutJit(query);
  return query<R>(compiled.text, compiled.values);
}

/**
 * For the rest of the read-only transaction. A cohort statement over hundreds of thousands of
 * events costs enough in the planner's units to switch JIT compilation on: most of a second of
 * compiling (measured at 1,000,000 persons) for a statement that then runs in about as long.
 */
async function withoutJit(query: SiteQuery): Promise<void> {
  await query("SELECT set_config('jit', 'off', true)");
}

async function prepare(
  query: SiteQuery,
  definition: CohortDefinition,
  options: RunCohortOptions,
  withModalities: boolean,
): Promise<CompileOptions> {
  const schema = await inspectSiteSchema(query, options.table);
  const needsImaging = withModalities || eventCriteriaOf(definition).some((c) => c.type === "imaging");
  if (needsImaging && !schema.isImagingAvailable) throw new TaskError({ reason: "imaging_not_available" });
  const tables = new Set<TableName>(["person", "concept_ancestor"]);
  const criteria = eventCriteriaOf(definition);
  for (const criterion of criteria) tables.add(eventSource(criterion.type, schema.cdmVersion).table);
  // Nested criteria count inside their event's observation period.
  if (definition.observationWindow || criteria.some((c) => c.type !== "imaging" && c.nested))
    tables.add("observation_period");
  const isMapped = (refs: { includeMapped: boolean }[] | undefined) => refs?.some((ref) => ref.includeMapped);
  if (criteria.some((c) => c.type !== "imaging" && (isMapped(c.concepts) || isMapped(c.sourceConcepts))))
    tables.add("concept_relationship");
  for (const table of tables) if (!schema.present.has(table)) throw new TaskError({ reason: "table_missing", table });
  const conceptSets = criteria.flatMap((c) =>
    c.type === "imaging" ? [] : [c.concepts, c.sourceConcepts].filter((set) => set !== undefined),
  );
  return {
    table: options.table,
    modalityConceptIds: needsImaging ? await resolveModalities(query, options.table) : {},
    cdmVersion: schema.cdmVersion,
    resolvedConceptSets: await resolveConceptSets(query, options.table, conceptSets),
  };
}

async function resolveModalities(
  query: SiteQuery,
  table: RunCohortOptions["table"],
): Promise<Partial<Record<ModalityCode, number[]>>> {
  const rows = await query<{ concept_id: number; name: string | null }>(
    `SELECT m.concept_id, c.concept_name AS name
       FROM (SELECT DISTINCT modality_concept_id AS concept_id FROM ${table("image_occurrence")}) m
       LEFT JOIN ${table("concept")} c ON c.concept_id = m.concept_id
      ORDER BY m.concept_id`,
  );
  const byModality: Partial<Record<ModalityCode, number[]>> = {};
  for (const row of rows) (byModality[modalityCode(row.concept_id, row.name)] ??= []).push(row.concept_id);
  return byModality;
}
