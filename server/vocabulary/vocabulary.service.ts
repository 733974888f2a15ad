import { buildConceptAncestors, CONCEPTS } from "@/protocol/omop/concepts";
import type { TConceptSearchInput } from "./vocabulary.schema";

/**
 * The hub's concept vocabulary: the curated OMOP subset the demo sites use, shipped with the code
 * (id, name, domain, vocabulary, code) with the number of descendants a concept set would include.
 */
const DESCENDANTS = (() => {
  const counts = new Map<number, number>();
  for (const link of buildConceptAncestors(CONCEPTS)) {
    if (link.ancestor !== link.descendant) counts.set(link.ancestor, (counts.get(link.ancestor) ?? 0) + 1);
  }
  return counts;
})();

export function searchConcepts(input: TConceptSearchInput) {
  const q = input.query.toLowerCase();
  return CONCEPTS.filter((c) => c.standard && (!input.domain || c.domain === input.domain))
    .filter((c) => !q || c.name.toLowerCase().includes(q) || c.code.toLowerCase() === q || String(c.id) === q)
    .slice(0, input.limit)
    .map((c) => ({
      id: c.id,
      name: c.name,
      domain: c.domain,
      vocabulary: c.vocabulary,
      code: c.code,
      descendants: DESCENDANTS.get(c.id) ?? 0,
    }));
}
