"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/app/_trpc/client";
import type { TConceptSearchInput } from "@/server/vocabulary/vocabulary.schema";
import { ConceptSearch, type ConceptPick, type SearchFilters } from "../../../_components/concept-search";
import { ConceptChip } from "./concept-chip";
import type { ConceptRef, Path } from "./cohort-draft";
import { idFor } from "./cohort-draft";
import { InlineIssues } from "./issues";

type Domain = NonNullable<TConceptSearchInput["domain"]>;

const KINDS = {
  any: { label: "Standard and source codes", standard: undefined },
  standard: { label: "Standard only", standard: ["standard"] },
  classification: { label: "Classification only", standard: ["classification"] },
  "non-standard": { label: "Source codes (non-standard) only", standard: ["non-standard"] },
} as const satisfies Record<string, { label: string; standard: SearchFilters["standard"] }>;

const selectClass =
  "rounded-md border border-slate-300 bg-white px-2 py-1 text-xs text-slate-800 focus:ring-2 focus:ring-nhs-blue focus:outline-none";

/** Typeahead over the hub's vocabulary for one domain, with ATLAS's filters; picked concepts become the set. */
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
  const trpc = useTRPC();
  const about = useQuery(trpc.vocabulary.about.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const [vocabulary, setVocabulary] = useState("");
  const [kind, setKind] = useState<keyof typeof KINDS>("any");
  const [validity, setValidity] = useState<SearchFilters["validity"]>("valid");
  const picked = concepts.map((c) => c.conceptId);
  const filters: SearchFilters = {
    vocabularies: vocabulary ? [vocabulary] : undefined,
    standard: KINDS[kind].standard ? [...KINDS[kind].standard] : undefined,
    validity,
  };

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
      <div className="flex flex-wrap items-center gap-2" role="group" aria-label="Search filters">
        <label className="sr-only" htmlFor={idFor(path, "vocabulary")}>
          Vocabulary
        </label>
        <select
          id={idFor(path, "vocabulary")}
          className={selectClass}
          value={vocabulary}
          onChange={(e) => setVocabulary(e.target.value)}
        >
          <option value="">All vocabularies</option>
          {(about.data?.vocabularies ?? []).map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor={idFor(path, "kind")}>
          Concept kind
        </label>
        <select
          id={idFor(path, "kind")}
          className={selectClass}
          value={kind}
          onChange={(e) => setKind(e.target.value as keyof typeof KINDS)}
        >
          {Object.entries(KINDS).map(([value, k]) => (
            <option key={value} value={value}>
              {k.label}
            </option>
          ))}
        </select>
        <label className="sr-only" htmlFor={idFor(path, "validity")}>
          Validity
        </label>
        <select
          id={idFor(path, "validity")}
          className={selectClass}
          value={validity}
          onChange={(e) => setValidity(e.target.value as SearchFilters["validity"])}
        >
          <option value="valid">Valid concepts</option>
          <option value="invalid">Invalid (retired) concepts</option>
          <option value="any">Valid and invalid</option>
        </select>
        {about.data?.version ? <span className="text-xs text-slate-500">Vocabulary {about.data.version}</span> : null}
      </div>
      <ConceptSearch
        label="Search concepts"
        listLabel="Matching concepts"
        domain={domain}
        picked={picked}
        onPick={add}
        filters={filters}
      />
      {concepts.length ? (
        <ul aria-label="Chosen concepts" className="space-y-1.5">
          {concepts.map((c, i) => (
            <ConceptChip
              key={c.conceptId}
              concept={c}
              picked={picked}
              onAdd={add}
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
