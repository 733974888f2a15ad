import type { z } from "zod";
import type { ZConceptSet } from "@/protocol/cohort-definition";
import type { SqlBuilder } from "./sql-params";

type ConceptSet = z.output<typeof ZConceptSet>;

/**
 * Registers a concept set as a CTE of one column, `concept_id`, and returns the CTE's name.
 * The listed ids are always members themselves: OHDSI vocabularies put every standard concept in
 * `concept_ancestor` as its own ancestor at level 0, but a site's vocabulary load may omit those
 * rows (or the concept may be non-standard), and "include descendants" must never drop the
 * concept that was actually picked.
 */
export function addConceptSet(builder: SqlBuilder, concepts: ConceptSet): string {
  const listed = sortedUnique(concepts.map((c) => c.conceptId));
  const withDescendants = sortedUnique(concepts.filter((c) => c.includeDescendants).map((c) => c.conceptId));
  const parts = [`SELECT unnest(${builder.bind(listed, "bigint[]")}) AS concept_id`];
  if (withDescendants.length > 0) {
    parts.push(
      `SELECT ca.descendant_concept_id FROM ${builder.table("concept_ancestor")} ca WHERE ca.ancestor_concept_id = ANY(${builder.bind(withDescendants, "bigint[]")})`,
    );
  }
  return builder.addConceptSet(parts.join("\n    UNION\n    "));
}

// Sorted so that reordering a concept list (a UI detail) does not change the compiled query.
function sortedUnique(ids: number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}
