"use client";

import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useDebouncedValue } from "@/app/(portal)/admin/_components/use-debounced-value";
import { useTRPC } from "@/app/_trpc/client";
import type { TConceptSearchInput } from "@/server/vocabulary/vocabulary.schema";
import { messageOf } from "@/app/_trpc/errors";
import type { Concept } from "../../../_components/types";
import { ConceptChip } from "./concept-chip";
import type { ConceptRef, Path } from "./cohort-draft";
import { InlineIssues } from "./issues";

type Domain = NonNullable<TConceptSearchInput["domain"]>;

/** Typeahead over the hub's vocabulary for one domain; picked concepts become the set. */
export function ConceptSetPicker({ domain, concepts, onChange, path }: { domain: Domain; concepts: ConceptRef[]; onChange: (next: ConceptRef[]) => void; path: Path }) {
  const trpc = useTRPC();
  const listId = useId();
  const [query, setQuery] = useState("");
  const term = useDebouncedValue(query.trim(), 250);
  const results = useQuery(trpc.vocabulary.search.queryOptions({ query: term, domain }, { enabled: term.length >= 2 }));
  const picked = new Set(concepts.map((c) => c.conceptId));
  const isOpen = term.length >= 2 && query.trim().length >= 2;

  function add(concept: Concept) {
    if (!picked.has(concept.id)) onChange([...concepts, { conceptId: concept.id, name: concept.name, includeDescendants: true }]);
    setQuery("");
  }

  return (
    <div className="space-y-2">
      <div className="relative">
        <input
          type="search"
          role="combobox"
          aria-label="Search concepts"
          aria-expanded={isOpen}
          aria-controls={listId}
          aria-autocomplete="list"
          placeholder={`Search ${domain.toLowerCase()} concepts by name or code`}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-nhs-blue"
        />
        {isOpen ? (
          <div id={listId} className="absolute z-20 mt-1 max-h-72 w-full overflow-y-auto rounded-md border border-slate-200 bg-white shadow-lg">
            {results.isPending ? (
              <p className="px-3 py-2 text-sm text-slate-500">Searching…</p>
            ) : results.isError ? (
              <p className="px-3 py-2 text-sm text-red-700">{messageOf(results.error)}</p>
            ) : results.data.length === 0 ? (
              <p className="px-3 py-2 text-sm text-slate-500">No {domain.toLowerCase()} concepts match “{term}”.</p>
            ) : (
              <ul aria-label="Matching concepts">
                {results.data.map((c) => (
                  <li key={c.id}>
                    <button type="button" aria-label={c.name} disabled={picked.has(c.id)} onClick={() => add(c)} className="block w-full px-3 py-2 text-left text-sm hover:bg-sky-50 focus:bg-sky-50 focus:outline-none disabled:opacity-50">
                      <span className="block font-medium text-slate-900">{c.name}</span>
                      <span className="block text-xs text-slate-500">
                        {c.vocabulary} {c.code}
                        {c.descendants ? ` · includes ${c.descendants} descendants` : ""}
                        {picked.has(c.id) ? " · already chosen" : ""}
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        ) : null}
      </div>
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
