import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { searchStages, score } from "./concept-search-stages";
import { SUMMARY_COLUMNS, toSummary, type ConceptSummary, type SummaryRow } from "./concept-rows";
import type { TConceptSearchInput } from "./vocabulary.schema";

export type ConceptMatch = ConceptSummary & {
  /** The synonym that matched, when it was not the name. */
  matchedSynonym: string | null;
  /** For a non-standard concept: the standard concepts it maps to (a pick takes these). */
  mapsTo: ConceptSummary[];
};

/**
 * Concept search over the loaded OHDSI vocabulary: codes and ids exactly or by prefix (`I63`, `44054006`),
 * words in any order as prefixes over names and synonyms (full-text index), and, when those find too
 * little, small typos (words corrected against the vocabulary's own words). Each candidate is scored; the
 * best `limit` come back with their descendant count and, for source codes, what they map to. One
 * statement, one round trip: the stages (`concept-search-stages.ts`) run only as far as they are needed.
 */
export async function searchConcepts(db: DbOrTx, input: TConceptSearchInput): Promise<ConceptMatch[]> {
  const q = input.query.toLowerCase().replace(/\s+/g, " ");
  const words = q.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (!words.length) return [];
  const { ctes, stages } = searchStages({ q, words }, input);
  const scored = sql.join(
    stages.map(
      (stage, i) =>
        sql`SELECT x.concept_id, ${score(stage, q)} AS score, ${i} AS stage, row_number() OVER () AS ord,
              CASE WHEN x.is_synonym THEN x.term END AS synonym FROM ${sql.raw(stage)} x`,
    ),
    sql`\nUNION ALL\n`,
  );
  const { rows } = await db.execute<SummaryRow & { matched_synonym: string | null; maps_to: SummaryRow[] | null }>(sql`
    WITH ${ctes},
    best AS (
      SELECT DISTINCT ON (concept_id) concept_id, score, stage, ord, synonym FROM (${scored}) candidates
      ORDER BY concept_id, score DESC, stage, ord),
    top AS (SELECT * FROM best ORDER BY score DESC, stage, ord LIMIT ${input.limit})
    SELECT ${SUMMARY_COLUMNS}, top.synonym AS matched_synonym,
      CASE WHEN c.standard_concept IS DISTINCT FROM 'S' THEN (
        SELECT json_agg(t ORDER BY t.concept_name) FROM (
          SELECT ${SUMMARY_COLUMNS} FROM vocab.concept_relationship r JOIN vocab.concept c ON c.concept_id = r.concept_id_2
          WHERE r.concept_id_1 = src.concept_id AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL
            AND r.concept_id_2 <> r.concept_id_1) t) END AS maps_to
    FROM top JOIN vocab.concept c ON c.concept_id = top.concept_id, LATERAL (SELECT c.concept_id) src
    ORDER BY top.score DESC, top.stage, top.ord`);
  return rows.map((row) => ({
    ...toSummary(row),
    matchedSynonym: row.matched_synonym,
    mapsTo: (row.maps_to ?? []).map(toSummary),
  }));
}
