"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ConceptFacts, descendantsLabel } from "@/app/(portal)/projects/_components/concept-facts";
import type { ConceptSummary } from "@/app/(portal)/projects/_components/types";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { Button } from "@/app/_components/ui/button";
import { Dialog, DialogContent, DialogTrigger } from "@/app/_components/ui/dialog";
import { Loading } from "@/app/_components/ui/loading";

type Props = {
  conceptId: number;
  name: string;
  picked: readonly number[];
  onAdd: (concept: { id: number; name: string }) => void;
};

/**
 * Browses the hub's vocabulary from one concept: its parents, children and descendants (OMOP's
 * `concept_ancestor`), what a source code maps to and which source codes map here. Any concept on the
 * way can be opened or added to the set; Back retraces the path.
 */
export function ConceptHierarchyDialog({ conceptId, name, picked, onAdd }: Props) {
  const [trail, setTrail] = useState<number[]>([conceptId]);
  return (
    <Dialog onOpenChange={(open) => open && setTrail([conceptId])}>
      <DialogTrigger asChild>
        <button
          type="button"
          aria-label={`Browse the hierarchy of ${name}`}
          className="rounded px-2 py-1 text-xs font-medium text-nhs-blue hover:bg-sky-50"
        >
          Hierarchy
        </button>
      </DialogTrigger>
      <DialogContent title="Concept hierarchy" className="max-w-3xl">
        <HierarchyView
          conceptId={trail.at(-1)!}
          canGoBack={trail.length > 1}
          onBack={() => setTrail(trail.slice(0, -1))}
          onOpen={(id) => setTrail([...trail, id])}
          picked={picked}
          onAdd={onAdd}
        />
      </DialogContent>
    </Dialog>
  );
}

function HierarchyView({
  conceptId,
  canGoBack,
  onBack,
  onOpen,
  picked,
  onAdd,
}: Omit<Props, "name"> & { canGoBack: boolean; onBack: () => void; onOpen: (id: number) => void }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.vocabulary.concept.queryOptions({ conceptId }, { staleTime: 60_000 }));
  if (detail.isPending) return <Loading label="Loading the concept…" />;
  if (detail.isError)
    return (
      <p role="alert" className="text-sm text-red-700">
        {messageOf(detail.error)}
      </p>
    );
  const { concept, parents, children, descendants, mapsTo, mappedFrom, synonyms } = detail.data;
  const rowProps = { picked, onAdd, onOpen };
  return (
    <div className="space-y-4" aria-label={`Hierarchy of ${concept.name}`} role="region">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="text-base font-semibold text-slate-900">{concept.name}</h3>
          <ConceptFacts concept={concept} />
          {synonyms.length ? <p className="mt-1 text-xs text-slate-600">Also: {synonyms.join("; ")}</p> : null}
        </div>
        <div className="flex gap-2">
          {canGoBack ? (
            <Button variant="secondary" type="button" onClick={onBack}>
              Back
            </Button>
          ) : null}
          {concept.standard === "S" ? (
            <Button
              type="button"
              disabled={picked.includes(concept.id)}
              onClick={() => onAdd({ id: concept.id, name: concept.name })}
            >
              {picked.includes(concept.id) ? "In the set" : "Add to set"}
            </Button>
          ) : null}
        </div>
      </div>
      {concept.standard !== "S" ? (
        <ConceptList
          title="Maps to (standard concepts)"
          concepts={mapsTo}
          empty="Maps to no standard concept."
          {...rowProps}
        />
      ) : null}
      <div className="grid gap-4 md:grid-cols-2">
        <ConceptList title="Parents" concepts={parents} empty="No parents: a top-level concept." {...rowProps} />
        <ConceptList title="Children" concepts={children} empty="No children." {...rowProps} />
      </div>
      <ConceptList
        title={`Descendants (${concept.descendants.toLocaleString("en-GB")}${
          concept.descendants > descendants.length ? `, nearest ${descendants.length} shown` : ""
        })`}
        concepts={descendants}
        empty="No descendants."
        {...rowProps}
      />
      {mappedFrom.length ? (
        <ConceptList title="Source codes that map here" concepts={mappedFrom} empty="" {...rowProps} />
      ) : null}
    </div>
  );
}

function ConceptList({
  title,
  concepts,
  empty,
  picked,
  onAdd,
  onOpen,
}: {
  title: string;
  concepts: (ConceptSummary & { level?: number })[];
  empty: string;
  picked: readonly number[];
  onAdd: Props["onAdd"];
  onOpen: (id: number) => void;
}) {
  return (
    <section aria-label={title}>
      <h4 className="text-sm font-semibold text-slate-800">{title}</h4>
      {concepts.length ? (
        <ul className="mt-1 max-h-56 divide-y divide-slate-100 overflow-y-auto rounded-md border border-slate-200">
          {concepts.map((c) => (
            <li key={c.id} className="flex items-start justify-between gap-2 px-2 py-1.5">
              <button
                type="button"
                onClick={() => onOpen(c.id)}
                className="min-w-0 text-left text-sm text-nhs-blue hover:underline"
              >
                {c.level !== undefined && c.level > 1 ? (
                  <span className="text-xs text-slate-500">{`level ${c.level} · `}</span>
                ) : null}
                {c.name}
                <span className="block text-xs text-slate-500">
                  {c.vocabulary} {c.code}
                  {c.standard === "S" ? "" : c.standard === "C" ? " · classification" : " · non-standard"}
                  {c.descendants ? ` · ${descendantsLabel(c.descendants)}` : ""}
                </span>
              </button>
              {c.standard === "S" ? (
                <button
                  type="button"
                  disabled={picked.includes(c.id)}
                  aria-label={`Add ${c.name} to the set`}
                  onClick={() => onAdd({ id: c.id, name: c.name })}
                  className="shrink-0 rounded px-2 py-1 text-xs font-medium text-nhs-blue hover:bg-sky-50 disabled:text-slate-400"
                >
                  {picked.includes(c.id) ? "Added" : "Add"}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-1 text-xs text-slate-500">{empty}</p>
      )}
    </section>
  );
}
