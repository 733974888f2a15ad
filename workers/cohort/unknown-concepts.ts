import { eventCriteriaOf, type CohortDefinition } from "@/protocol/cohort-definition";
import type { TableName } from "@/protocol/omop/tables";
import type { SiteQuery } from "../site-db";

/**
 * The concepts a definition names that this site's own vocabulary (`concept`) does not hold: the
 * site may load another vocabulary version than the researcher's. Only the ids leave the site,
 * which come from the definition itself: the fact, never a count.
 */
export async function findUnknownConcepts(
  query: SiteQuery,
  definition: CohortDefinition,
  table: (name: TableName) => string,
): Promise<number[]> {
  const ids = [...conceptIdsOf(definition)].sort((a, b) => a - b);
  if (ids.length === 0) return [];
  const rows = await query<{ id: string }>(
    `SELECT t.id FROM unnest($1::bigint[]) AS t(id)
      WHERE NOT EXISTS (SELECT 1 FROM ${table("concept")} c WHERE c.concept_id = t.id) ORDER BY t.id`,
    [ids],
  );
  return rows.map((row) => Number(row.id));
}

function conceptIdsOf(definition: CohortDefinition): Set<number> {
  const ids = new Set<number>();
  for (const criterion of eventCriteriaOf(definition))
    if (criterion.type !== "imaging") for (const ref of criterion.concepts ?? []) ids.add(ref.conceptId);
  return ids;
}
