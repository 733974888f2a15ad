import { createHash } from "node:crypto";
import { canonicalJson } from "@/protocol/canonical-json";
import type { CohortDefinition } from "@/protocol/cohort-definition";

/**
 * Identifies what a cohort definition counts, across revisions and projects: feasibility limits and
 * earlier counts key on it. Labels (rule names, concept display names) and the order of concepts in
 * a set do not change who is counted, so they do not change the hash: renaming a rule does not make
 * the same query new.
 */
export function hashDefinition(definition: CohortDefinition): string {
  return createHash("sha256")
    .update(canonicalJson(withoutLabels(definition)))
    .digest("hex");
}

function withoutLabels(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => withoutLabels(item));
    if (key !== "concepts") return items;
    return items.sort((a, b) => (a as { conceptId: number }).conceptId - (b as { conceptId: number }).conceptId);
  }
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== "name")
      .map(([k, v]) => [k, withoutLabels(v, k)]),
  );
}
