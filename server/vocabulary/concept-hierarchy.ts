import { sql } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { AppError } from "@/server/errors";
import {
  mapsToOf,
  selectSummaries,
  SUMMARY_COLUMNS,
  toSummary,
  type ConceptSummary,
  type SummaryRow,
} from "./concept-rows";
import type { TConceptInput } from "./vocabulary.schema";

const NEIGHBOUR_LIMIT = 200;

/**
 * One concept with its place in the hierarchy (from `concept_ancestor`, as ATLAS reads it): direct
 * parents and children, descendants nearest first, synonyms, what a source code maps to and which
 * source codes map to a standard concept.
 */
export async function getConcept(db: DbOrTx, input: TConceptInput) {
  const id = input.conceptId;
  const [concept] = await selectSummaries(
    db,
    sql`SELECT ${SUMMARY_COLUMNS} FROM vocab.concept c WHERE c.concept_id = ${id}`,
  );
  if (!concept) throw new AppError("NOT_FOUND", `Concept ${id} is not in the hub's vocabulary.`);
  const [parents, children, descendants, mappedFrom, synonyms, mapsTo] = await Promise.all([
    selectSummaries(
      db,
      sql`SELECT ${SUMMARY_COLUMNS} FROM vocab.concept_ancestor a JOIN vocab.concept c ON c.concept_id = a.ancestor_concept_id
          WHERE a.descendant_concept_id = ${id} AND a.min_levels_of_separation = 1
          ORDER BY c.concept_name LIMIT ${NEIGHBOUR_LIMIT}`,
    ),
    selectSummaries(
      db,
      sql`SELECT ${SUMMARY_COLUMNS} FROM vocab.concept_ancestor a JOIN vocab.concept c ON c.concept_id = a.descendant_concept_id
          WHERE a.ancestor_concept_id = ${id} AND a.min_levels_of_separation = 1
          ORDER BY c.concept_name LIMIT ${NEIGHBOUR_LIMIT}`,
    ),
    descendantsOf(db, id, input.descendantLimit),
    selectSummaries(
      db,
      sql`SELECT ${SUMMARY_COLUMNS} FROM vocab.concept_relationship r JOIN vocab.concept c ON c.concept_id = r.concept_id_1
          WHERE r.concept_id_2 = ${id} AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL AND r.concept_id_1 <> ${id}
          ORDER BY c.vocabulary_id, c.concept_code LIMIT ${NEIGHBOUR_LIMIT}`,
    ),
    db.execute<{ name: string }>(
      sql`SELECT DISTINCT concept_synonym_name AS name FROM vocab.concept_synonym WHERE concept_id = ${id} ORDER BY 1 LIMIT 50`,
    ),
    mapsToOf(db, concept.standard === "S" ? [] : [id]),
  ]);
  return {
    concept,
    parents,
    children,
    descendants,
    mapsTo: mapsTo.get(id) ?? [],
    mappedFrom,
    synonyms: synonyms.rows.map((r) => r.name).filter((name) => name.toLowerCase() !== concept.name.toLowerCase()),
  };
}

async function descendantsOf(db: DbOrTx, id: number, limit: number): Promise<(ConceptSummary & { level: number })[]> {
  if (!limit) return [];
  const { rows } = await db.execute<SummaryRow & { level: number }>(sql`
    SELECT a.min_levels_of_separation AS level, ${SUMMARY_COLUMNS}
    FROM vocab.concept_ancestor a JOIN vocab.concept c ON c.concept_id = a.descendant_concept_id
    WHERE a.ancestor_concept_id = ${id} AND a.descendant_concept_id <> ${id}
    ORDER BY a.min_levels_of_separation, c.concept_name LIMIT ${limit}`);
  return rows.map((row) => ({ ...toSummary(row), level: row.level }));
}
