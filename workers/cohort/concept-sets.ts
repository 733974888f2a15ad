import type { SqlBuilder } from "./sql-params";

/** A concept set item as the definition holds it (ZConceptRef), or as features and outcomes name concepts. */
type ConceptRef = { conceptId: number; includeDescendants: boolean; isExcluded?: boolean; includeMapped?: boolean };
type ConceptSet = readonly ConceptRef[];

/**
 * Registers a concept set as a CTE of one column, `concept_id`, and returns the CTE's name. The set
 * is resolved against the SITE's own vocabulary tables, as ATLAS resolves it: the included items,
 * their descendants (`concept_ancestor`) where asked and the source concepts that map to them
 * (`concept_relationship` 'Maps to') where asked, minus the same expansion of the excluded items.
 * The listed ids are always members themselves: OHDSI vocabularies put every standard concept in
 * `concept_ancestor` as its own ancestor at level 0, but a site's vocabulary load may omit those
 * rows (or the concept may be non-standard), and "include descendants" must never drop the
 * concept that was actually picked.
 */
export function addConceptSet(builder: SqlBuilder, concepts: ConceptSet): string {
  const included = expansion(
    builder,
    concepts.filter((c) => !c.isExcluded),
  );
  const excludedItems = concepts.filter((c) => c.isExcluded);
  const body =
    excludedItems.length === 0
      ? included
      : `SELECT i.concept_id FROM (\n    ${included}\n    ) i\n    EXCEPT\n    SELECT e.concept_id FROM (\n    ${expansion(builder, excludedItems)}\n    ) e`;
  return builder.addConceptSet(body);
}

function expansion(builder: SqlBuilder, items: ConceptRef[]): string {
  // A set of excluded items only matches nothing; `unnest` of an empty array gives no rows.
  const listed = ids(items);
  const withDescendants = ids(items.filter((c) => c.includeDescendants));
  const parts = [`SELECT unnest(${builder.bind(listed, "bigint[]")}) AS concept_id`];
  if (withDescendants.length > 0) {
    parts.push(
      `SELECT ca.descendant_concept_id FROM ${builder.table("concept_ancestor")} ca WHERE ca.ancestor_concept_id = ANY(${builder.bind(withDescendants, "bigint[]")})`,
    );
  }
  const mapped = items.filter((c) => c.includeMapped);
  if (mapped.length > 0) {
    const targets = ids(mapped);
    const targetDescendants = ids(mapped.filter((c) => c.includeDescendants));
    const relationship = builder.bind(["Maps to"], "text[]");
    parts.push(
      `SELECT cr.concept_id_1 FROM ${builder.table("concept_relationship")} cr
      WHERE cr.relationship_id = ANY(${relationship}) AND cr.invalid_reason IS NULL
        AND (cr.concept_id_2 = ANY(${builder.bind(targets, "bigint[]")})${
          targetDescendants.length > 0
            ? ` OR cr.concept_id_2 IN (SELECT ca.descendant_concept_id FROM ${builder.table("concept_ancestor")} ca WHERE ca.ancestor_concept_id = ANY(${builder.bind(targetDescendants, "bigint[]")}))`
            : ""
        })`,
    );
  }
  return parts.join("\n    UNION\n    ");
}

// Sorted so that reordering a concept list (a UI detail) does not change the compiled query.
function ids(items: ConceptRef[]): number[] {
  return [...new Set(items.map((c) => c.conceptId))].sort((a, b) => a - b);
}
