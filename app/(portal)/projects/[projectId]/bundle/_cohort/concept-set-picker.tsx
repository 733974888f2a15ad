"use client";

import type { TConceptSearchInput } from "@/server/vocabulary/vocabulary.schema";
import { ConceptSearch, type ConceptPick } from "../../../_components/concept-search";
import { ConceptChip } from "./concept-chip";
import type { ConceptRef, Path } from "./cohort-draft";
import { InlineIssues } from "./issues";

type Domain = NonNullable<TConceptSearchInput["domain"]>;

/** Typeahead over the hub's vocabulary for one domain; picked concepts become the set. */
export function ConceptSetPicker({
  domain,
  concepts,
  onChange,
  path,
}: {
  domain: Domain;
  concepts: ConceptRef[];
  onChange: (next: ConceptRef[]) => void;
  path: Path;
}) {
  const picked = concepts.map((c) => c.conceptId);

  function add(concept: ConceptPick) {
    if (!picked.includes(concept.id))
      onChange([
        ...concepts,
        {
          conceptId: concept.id,
          name: concept.name,
          includeDescendants: true,
          isExcluded: false,
          includeMapped: false,
        },
      ]);
  }

  return (
    <div className="space-y-2">
      <ConceptSearch
        label="Search concepts"
        listLabel="Matching concepts"
        domain={domain}
        picked={picked}
        onPick={add}
      />
      {concepts.length ? (
        <ul aria-label="Chosen concepts" className="space-y-1.5">
          {concepts.map((c, i) => (
            <ConceptChip
              key={c.conceptId}
              concept={c}
              onChange={(next) => onChange(concepts.map((x, j) => (j === i ? next : x)))}
              onRemove={() => onChange(concepts.filter((_, j) => j !== i))}
            />
          ))}
        </ul>
      ) : (
        <p className="text-xs text-slate-500">No concepts chosen yet.</p>
      )}
      <InlineIssues path={[...path, "concepts"]} />
    </div>
  );
}
