"use client";

import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useDebouncedValue } from "@/app/(portal)/admin/_components/use-debounced-value";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import type { TConceptSearchInput } from "@/server/vocabulary/vocabulary.schema";
import type { Concept } from "./types";

export type ConceptPick = { id: number; name: string };
type Domain = NonNullable<TConceptSearchInput["domain"]> | "Unit";

/**
 * Typeahead over the hub's vocabulary, for cohort criteria and model features alike. Units are not a searchable domain on the server, so for
 * them it searches every domain and keeps only unit concepts.
 */
export function ConceptSearch({
  label,
  listLabel,
  domain,
  picked,
  onPick,
}: {
  label: string;
  listLabel?: string;
  domain: Domain;
  picked: readonly number[];
  onPick: (concept: ConceptPick) => void;
}) {
  const trpc = useTRPC();
  const listId = useId();
  const [query, setQuery] = useState("");
  const term = useDebouncedValue(query.trim(), 250);
  const isUnit = domain === "Unit";
  const results = useQuery(
    trpc.vocabulary.search.queryOptions(isUnit ? { query: term, limit: 50 } : { query: term, domain }, {
      enabled: term.length >= 2,
    }),
  );
  const matches = (results.data ?? []).filter((c: Concept) => !isUnit || c.domain === "Unit");
  const isOpen = term.length >= 2 && query.trim().length >= 2;

  function pick(concept: Concept) {
    onPick({ id: concept.id, name: concept.name });
    setQuery("");
  }

  return (
    <div className="relative">
      <input
        type="search"
        role="combobox"
        aria-label={label}
        aria-expanded={isOpen}
        aria-controls={listId}
        aria-autocomplete="list"
        placeholder={`Search ${domain.toLowerCase()} concepts by name or code`}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:ring-2 focus:ring-nhs-blue focus:outline-none"
      />
      {isOpen ? (
        <div
          id={listId}
          className="absolute z-20 mt-1 max-h-72 w-full overflow-y-auto rounded-md border border-slate-200 bg-white shadow-lg"
        >
          {results.isPending ? (
            <p className="px-3 py-2 text-sm text-slate-500">Searching…</p>
          ) : results.isError ? (
            <p className="px-3 py-2 text-sm text-red-700">{messageOf(results.error)}</p>
          ) : matches.length === 0 ? (
            <p className="px-3 py-2 text-sm text-slate-500">
              No {domain.toLowerCase()} concepts match “{term}”.
            </p>
          ) : (
            <ul aria-label={listLabel ?? `Matching ${domain.toLowerCase()} concepts`}>
              {matches.map((c) => (
                <li key={c.id}>
                  <button
                    type="button"
                    aria-label={c.name}
                    disabled={picked.includes(c.id)}
                    onClick={() => pick(c)}
                    className="block w-full px-3 py-2 text-left text-sm hover:bg-sky-50 focus:bg-sky-50 focus:outline-none disabled:opacity-50"
                  >
                    <span className="block font-medium text-slate-900">{c.name}</span>
                    <span className="block text-xs text-slate-500">
                      {c.vocabulary} {c.code} · concept {c.id}
                      {c.descendants ? ` · includes ${c.descendants} descendants` : ""}
                      {picked.includes(c.id) ? " · already chosen" : ""}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </div>
  );
}
