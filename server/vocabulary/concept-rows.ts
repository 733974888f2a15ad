import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";

export type ConceptSummary = {
  id: number;
  name: string;
  domain: string;
  vocabulary: string;
  conceptClass: string;
  code: string;
  /** "S" standard, "C" classification, null non-standard. */
  standard: "S" | "C" | null;
  /** null while valid; "D" deleted, "U" upgraded (replaced). */
  invalidReason: string | null;
  descendants: number;
};

export type SummaryRow = {
  concept_id: number;
  concept_name: string;
  domain_id: string;
  vocabulary_id: string;
  concept_class_id: string;
  concept_code: string;
  standard_concept: "S" | "C" | null;
  invalid_reason: string | null;
  descendants: number;
};

/** The summary columns of `vocab.concept` aliased `c`, with the descendant count from the search table. */
export const SUMMARY_COLUMNS = sql`c.concept_id, c.concept_name, c.domain_id, c.vocabulary_id, c.concept_class_id,
  c.concept_code, c.standard_concept, c.invalid_reason,
  coalesce((SELECT s.descendant_count FROM vocab.concept_search s WHERE s.concept_id = c.concept_id AND NOT s.is_synonym LIMIT 1), 0) AS descendants`;

export function toSummary(row: SummaryRow): ConceptSummary {
  return {
    id: row.concept_id,
    name: row.concept_name,
    domain: row.domain_id,
    vocabulary: row.vocabulary_id,
    conceptClass: row.concept_class_id,
    code: row.concept_code,
    standard: row.standard_concept,
    invalidReason: row.invalid_reason,
    descendants: row.descendants,
  };
}

/** Runs a query selecting `SUMMARY_COLUMNS` and returns the summaries in its order. */
export async function selectSummaries(db: DbOrTx, query: SQL): Promise<ConceptSummary[]> {
  const { rows } = await db.execute<SummaryRow>(query);
  return rows.map(toSummary);
}

export function idList(ids: readonly number[]): SQL {
  return sql.join(
    ids.map((id) => sql`${id}::int`),
    sql`, `,
  );
}

/** For each source concept, the standard concepts it "Maps to" (valid links only). */
export async function mapsToOf(db: DbOrTx, ids: readonly number[]): Promise<Map<number, ConceptSummary[]>> {
  const result = new Map<number, ConceptSummary[]>();
  if (!ids.length) return result;
  const { rows } = await db.execute<SummaryRow & { source_id: number }>(sql`
    SELECT r.concept_id_1 AS source_id, ${SUMMARY_COLUMNS}
    FROM vocab.concept_relationship r JOIN vocab.concept c ON c.concept_id = r.concept_id_2
    WHERE r.concept_id_1 IN (${idList(ids)}) AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL
      AND r.concept_id_2 <> r.concept_id_1
    ORDER BY c.concept_name`);
  for (const row of rows) result.set(row.source_id, [...(result.get(row.source_id) ?? []), toSummary(row)]);
  return result;
}
