import { Badge } from "@/app/_components/ui/badge";
import type { ConceptSummary } from "./types";

const KIND: Record<string, { label: string; tone: "green" | "blue" | "amber" }> = {
  S: { label: "Standard", tone: "green" },
  C: { label: "Classification", tone: "blue" },
};

/** A concept's code, vocabulary, domain, standard flag, validity and descendant count, on one line. */
export function ConceptFacts({ concept }: { concept: ConceptSummary }) {
  const kind = (concept.standard && KIND[concept.standard]) || { label: "Non-standard", tone: "amber" as const };
  return (
    <span className="mt-0.5 flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-slate-600">
      <span>
        {concept.vocabulary} <span className="font-mono">{concept.code}</span>
      </span>
      <span>· {concept.domain}</span>
      <span>· concept {concept.id}</span>
      <Badge tone={kind.tone}>{kind.label}</Badge>
      {concept.invalidReason ? (
        <Badge tone="red">{concept.invalidReason === "U" ? "Invalid (replaced)" : "Invalid (deleted)"}</Badge>
      ) : null}
      {concept.descendants ? <span>{descendantsLabel(concept.descendants)}</span> : null}
    </span>
  );
}

export function descendantsLabel(count: number) {
  return `${count.toLocaleString("en-GB")} ${count === 1 ? "descendant" : "descendants"}`;
}
