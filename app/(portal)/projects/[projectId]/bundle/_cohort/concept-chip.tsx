"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { ConceptFacts } from "@/app/(portal)/projects/_components/concept-facts";
import { Badge } from "@/app/_components/ui/badge";
import { useTRPC } from "@/app/_trpc/client";
import type { ConceptRef } from "./cohort-draft";
import { ConceptHierarchyDialog } from "./concept-hierarchy-dialog";

const FLAGS = [
  { key: "includeDescendants", label: "Include descendants" },
  { key: "isExcluded", label: "Exclude" },
  { key: "includeMapped", label: "Include mapped" },
] as const;

/**
 * A chosen concept with its vocabulary details (looked up by id, so saved sets show them too) and the
 * three flags of an ATLAS concept-set item: descendants, exclusion (with its descendants when those
 * are included) and the source codes that map to it.
 */
export function ConceptChip({
  concept,
  picked,
  onChange,
  onRemove,
  onAdd,
}: {
  concept: ConceptRef;
  picked: readonly number[];
  onChange: (next: ConceptRef) => void;
  onRemove: () => void;
  onAdd: (concept: { id: number; name: string }) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const lookup = useQuery(
    trpc.vocabulary.search.queryOptions(
      { query: String(concept.conceptId), limit: 1, validity: "any" },
      { staleTime: Infinity },
    ),
  );
  const details = lookup.data?.find((c) => c.id === concept.conceptId);
  const name = concept.name ?? details?.name ?? `Concept ${concept.conceptId}`;

  return (
    <li
      className={`flex flex-wrap items-start justify-between gap-2 rounded-md border px-3 py-2 text-sm ${
        concept.isExcluded ? "border-red-200 bg-red-50" : "border-slate-200 bg-slate-50"
      }`}
    >
      <span className="min-w-0">
        <span className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
          <span className={concept.isExcluded ? "line-through decoration-red-700" : ""}>{name}</span>
          {concept.isExcluded ? <Badge tone="red">Excluded</Badge> : null}
        </span>
        {details ? (
          <ConceptFacts concept={details} />
        ) : (
          <span className="block text-xs text-slate-500">concept {concept.conceptId}</span>
        )}
        <span className="mt-1 flex flex-wrap items-center gap-x-4 gap-y-1">
          {FLAGS.map((flag) => (
            <span key={flag.key} className="flex items-center gap-1.5">
              <input
                id={`${id}-${flag.key}`}
                type="checkbox"
                className="h-4 w-4 accent-nhs-blue"
                checked={concept[flag.key]}
                onChange={(e) => onChange({ ...concept, [flag.key]: e.target.checked })}
              />
              <label htmlFor={`${id}-${flag.key}`} className="text-xs text-slate-700">
                {flag.label}
              </label>
            </span>
          ))}
        </span>
      </span>
      <span className="flex gap-1">
        <ConceptHierarchyDialog conceptId={concept.conceptId} name={name} picked={picked} onAdd={onAdd} />
        <button
          type="button"
          onClick={onRemove}
          aria-label={`Remove ${name}`}
          className="rounded px-2 py-1 text-xs font-medium text-red-700 hover:bg-red-50"
        >
          Remove
        </button>
      </span>
    </li>
  );
}
