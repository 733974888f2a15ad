import type { TableName } from "@/protocol/omop/tables";
import type { SiteQuery } from "../site-db";
import { SqlBuilder } from "./sql-params";

/** A concept set item as the definition holds it (ZConceptRef), or as features and outcomes name concepts. */
type ConceptRef = { conceptId: number; includeDescendants: boolean; isExcluded?: boolean; includeMapped?: boolean };
export type ConceptSet = readonly ConceptRef[];

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
function addConceptSet(builder: SqlBuilder, concepts: ConceptSet): string {
  return builder.addConceptSet(conceptSetBody(builder, concepts));
}

/**
 * `column` is a member of the concept set. When the set was resolved before compiling
 * (`resolveConceptSets`), its ids are bound as one array, so the planner estimates from the
 * column's statistics how many events match, as it cannot through a join on a concept-set CTE;
 * otherwise the set is a CTE resolved in the same statement.
 */
export function conceptMembership(builder: SqlBuilder, column: string, concepts: ConceptSet): string {
  const resolved = builder.options.resolvedConceptSets?.get(conceptSetKey(concepts));
  if (resolved) return `${column} = ANY(${builder.bind(resolved, "bigint[]")})`;
  return `${column} IN (SELECT concept_id FROM ${addConceptSet(builder, concepts)})`;
}

/** The same items in any order (a UI detail) give the same key. */
function conceptSetKey(concepts: ConceptSet): string {
  const item = (c: ConceptRef) =>
    `${c.conceptId}:${c.includeDescendants ? "d" : ""}${c.isExcluded ? "x" : ""}${c.includeMapped ? "m" : ""}`;
  return [...new Set(concepts.map(item))].sort().join(",");
}

/**
 * Resolves concept sets against the site's own vocabulary tables, inside the caller's transaction
 * (so in the same snapshot as the statement that uses them), for `CompileOptions.resolvedConceptSets`.
 */
export async function resolveConceptSets(
  query: SiteQuery,
  table: (name: TableName) => string,
  sets: readonly ConceptSet[],
): Promise<Map<string, readonly number[]>> {
  const resolved = new Map<string, readonly number[]>();
  for (const concepts of sets) {
    const key = conceptSetKey(concepts);
    if (resolved.has(key)) continue;
    const builder = new SqlBuilder({ table, modalityConceptIds: {} });
    const rows = await query<{ concept_id: string | number }>(
      `SELECT s.concept_id FROM (\n    ${conceptSetBody(builder, concepts)}\n) s ORDER BY 1`,
      builder.values,
    );
    resolved.set(
      key,
      rows.map((r) => Number(r.concept_id)),
    );
  }
  return resolved;
}

function conceptSetBody(builder: SqlBuilder, concepts: ConceptSet): string {
  const included = expansion(
    builder,
    concepts.filter((c) => !c.isExcluded),
  );
  const excludedItems = concepts.filter((c) => c.isExcluded);
  return excludedItems.length === 0
    ? included
    : `SELECT i.concept_id FROM (\n    ${included}\n    ) i\n    EXCEPT\n    SELECT e.concept_id FROM (\n    ${expansion(builder, excludedItems)}\n    ) e`;
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
