import type { CohortDefinition, CriteriaGroup, EventCriterion } from "@/protocol/cohort-definition";
import type { SiteQuery } from "../site-db";
import type { TableName } from "@/protocol/omop/tables";
import { modalityCode, type ModalityCode } from "@/protocol/omop/modality";
import { evidenceFromRows, type CohortEvidence } from "./breakdowns";
import { compileCohort, compileCohortMembers, type CohortRow } from "./compile";
import type { SqlBuilder } from "./sql-params";

/**
 * Runs a cohort definition inside the caller's read-only transaction and returns exact counts and
 * who they count. Imaging criteria name a modality, not concepts: the modality concepts this site's
 * images use are classified first with the same mapping the site inventory uses, then bound as ids.
 */
export type RunCohortOptions = { table: (name: TableName) => string };

export async function runCohort(
  query: SiteQuery,
  definition: CohortDefinition,
  options: RunCohortOptions,
): Promise<CohortEvidence> {
  const modalityConceptIds = usesImaging(definition) ? await resolveModalities(query, options.table) : {};
  const compiled = compileCohort(definition, { table: options.table, modalityConceptIds });
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
  const modalityConceptIds =
    options.withModalities || usesImaging(definition) ? await resolveModalities(query, options.table) : {};
  const compiled = compileCohortMembers(definition, { table: options.table, modalityConceptIds }, select);
  return query<R>(compiled.text, compiled.values);
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

function usesImaging(definition: CohortDefinition): boolean {
  const isImaging = (criterion: EventCriterion) => criterion.type === "imaging";
  const inGroup = (group: CriteriaGroup): boolean =>
    group.items.some((item) =>
      item.kind === "group" ? inGroup(item) : item.kind === "criterion" && isImaging(item.criterion),
    );
  return isImaging(definition.entry) || definition.inclusionRules.some((rule) => inGroup(rule.group));
}
