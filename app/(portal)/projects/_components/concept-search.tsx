"use client";

import { useQuery } from "@tanstack/react-query";
import { Command } from "cmdk";
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { useDebouncedValue } from "@/app/(portal)/admin/_components/use-debounced-value";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import type { TConceptSearchInput } from "@/server/vocabulary/vocabulary.schema";
import { ConceptFacts } from "./concept-facts";
import type { Concept } from "./types";

export type ConceptPick = { id: number; name: string };
type Domain = NonNullable<TConceptSearchInput["domain"]> | "Unit";
export type SearchFilters = Pick<TConceptSearchInput, "vocabularies" | "standard" | "validity">;

/**
 * Typeahead over the hub's vocabulary, for cohort criteria and model features alike: a combobox (cmdk)
 * whose listbox of matches follows the arrow keys, Enter picks the highlighted concept and Escape
 * clears the search. The hub searches, so cmdk's own filtering is off. Units are not a searchable
 * domain on the server, so for them it searches every domain and keeps only unit concepts. A source
 * code (non-standard) shows what it maps to, and picking it picks that standard concept.
 */
export function ConceptSearch({
  label,
  listLabel,
  domain,
  picked,
  onPick,
  filters,
}: {
  label: string;
  listLabel?: string;
  domain: Domain;
  picked: readonly number[];
  onPick: (concept: ConceptPick) => void;
  filters?: SearchFilters;
}) {
  const trpc = useTRPC();
  const rootRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState("");
  const term = useDebouncedValue(query.trim(), 250);
  const isUnit = domain === "Unit";
  const results = useQuery(
    trpc.vocabulary.search.queryOptions(isUnit ? { query: term, limit: 50 } : { query: term, domain, ...filters }, {
      enabled: term.length >= 2,
    }),
  );
  const matches = (results.data ?? []).filter((c: Concept) => !isUnit || c.domain === "Unit");
  const isOpen = term.length >= 2 && query.trim().length >= 2;

  // cmdk 1.1.1 always marks its input expanded and leaves aria-activedescendant unset or stale when the
  // matches change (dip/cmdk#413), so mirror the list's state onto the input for screen readers.
  useEffect(() => {
    const root = rootRef.current;
    const input = inputRef.current;
    if (!root || !input) return;
    const sync = () => {
      const expanded = String(root.querySelector("[cmdk-list]") !== null);
      if (input.getAttribute("aria-expanded") !== expanded) input.setAttribute("aria-expanded", expanded);
      const active = root.querySelector('[cmdk-item][aria-selected="true"]')?.id;
      if (active && input.getAttribute("aria-activedescendant") !== active)
        input.setAttribute("aria-activedescendant", active);
      else if (!active && input.hasAttribute("aria-activedescendant")) input.removeAttribute("aria-activedescendant");
    };
    sync();
    const observer = new MutationObserver(sync);
    observer.observe(root, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["aria-selected", "aria-expanded", "aria-activedescendant"],
    });
    return () => observer.disconnect();
  }, []);

  function pick(concept: Concept) {
    const target = concept.standard === "S" ? concept : (concept.mapsTo[0] ?? concept);
    onPick({ id: target.id, name: target.name });
    setQuery("");
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.key === "Escape" && query) {
      event.preventDefault();
      setQuery("");
    }
  }

  return (
    <Command
      ref={rootRef}
      label={label}
      shouldFilter={false}
      vimBindings={false}
      onKeyDown={onKeyDown}
      className="relative"
    >
      <Command.Input
        ref={inputRef}
        value={query}
        onValueChange={setQuery}
        placeholder={`Search ${domain.toLowerCase()} concepts by name or code`}
        className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:ring-2 focus:ring-nhs-blue focus:outline-none"
      />
      {isOpen ? (
        <Command.List
          label={listLabel ?? `Matching ${domain.toLowerCase()} concepts`}
          className="absolute z-20 mt-1 max-h-72 w-full overflow-y-auto rounded-md border border-slate-200 bg-white shadow-lg"
        >
          {results.isPending ? (
            <Command.Loading label="Searching concepts">
              <p className="px-3 py-2 text-sm text-slate-500">Searching…</p>
            </Command.Loading>
          ) : results.isError ? (
            <p role="alert" className="px-3 py-2 text-sm text-red-700">
              {messageOf(results.error)}
            </p>
          ) : (
            <>
              <Command.Empty className="px-3 py-2 text-sm text-slate-500">
                No {domain.toLowerCase()} concepts match “{term}”.
              </Command.Empty>
              {matches.map((c) => {
                const targetId = c.standard === "S" ? c.id : (c.mapsTo[0]?.id ?? c.id);
                const isPicked = picked.includes(targetId);
                return (
                  <Command.Item
                    key={c.id}
                    value={String(c.id)}
                    aria-label={c.name}
                    disabled={isPicked}
                    onSelect={() => pick(c)}
                    className="block w-full cursor-pointer px-3 py-2 text-left text-sm data-[disabled=true]:cursor-default data-[disabled=true]:opacity-50 data-[selected=true]:bg-sky-50"
                  >
                    <span className="block font-medium text-slate-900">{c.name}</span>
                    <ConceptFacts concept={c} />
                    {c.matchedSynonym ? (
                      <span className="block text-xs text-slate-500">Synonym: “{c.matchedSynonym}”</span>
                    ) : null}
                    {c.standard !== "S" && c.mapsTo.length ? (
                      <span className="block text-xs text-sky-800">
                        Maps to {c.mapsTo.map((m) => `${m.name} (${m.vocabulary} ${m.code})`).join("; ")}
                        {" · picking it chooses "}
                        {c.mapsTo[0]!.name}
                      </span>
                    ) : null}
                    {isPicked ? <span className="block text-xs text-slate-500">Already chosen</span> : null}
                  </Command.Item>
                );
              })}
            </>
          )}
        </Command.List>
      ) : null}
    </Command>
  );
}
