"use client";

import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { useTRPC } from "@/app/_trpc/client";
import type { ConceptRef } from "./cohort-draft";

/** A chosen concept with its vocabulary details (looked up by id, so saved sets show them too). */
export function ConceptChip({
  concept,
  onChange,
  onRemove,
}: {
  concept: ConceptRef;
  onChange: (next: ConceptRef) => void;
  onRemove: () => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const lookup = useQuery(
    trpc.vocabulary.search.queryOptions({ query: String(concept.conceptId), limit: 1 }, { staleTime: Infinity }),
  );
  const details = lookup.data?.find((c) => c.id === concept.conceptId);
  const name = concept.name ?? details?.name ?? `Concept ${concept.conceptId}`;

  return (
    <li className="flex flex-wrap items-start justify-between gap-2 rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm">
      <span className="min-w-0">
        <span className="block font-medium text-slate-900">{name}</span>
        <span className="block text-xs text-slate-500">
          {details ? `${details.vocabulary} ${details.code} · ` : ""}concept {concept.conceptId}
          {details ? ` · includes ${details.descendants} descendants` : ""}
        </span>
        <span className="mt-1 flex items-center gap-2">
          <input
            id={id}
            type="checkbox"
            className="h-4 w-4 accent-nhs-blue"
            checked={concept.includeDescendants}
            onChange={(e) => onChange({ ...concept, includeDescendants: e.target.checked })}
          />
          <label htmlFor={id} className="text-xs text-slate-700">
            Include descendants
          </label>
        </span>
      </span>
      <button
        type="button"
        onClick={onRemove}
        aria-label={`Remove ${name}`}
        className="rounded px-2 py-1 text-xs font-medium text-red-700 hover:bg-red-50"
      >
        Remove
      </button>
    </li>
  );
}
