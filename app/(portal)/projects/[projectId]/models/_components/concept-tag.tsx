import type { ConceptPick } from "../../../_components/concept-search";

/** A chosen concept shown as a removable chip. */
export function ConceptTag({ concept, onRemove }: { concept: ConceptPick; onRemove: () => void }) {
  return (
    <li className="flex items-center justify-between gap-2 rounded-md border border-slate-200 bg-slate-50 px-3 py-1.5 text-sm">
      <span className="min-w-0 break-words">
        <span className="font-medium text-slate-900">{concept.name}</span>{" "}
        <span className="text-xs text-slate-500">concept {concept.id}</span>
      </span>
      <button
        type="button"
        onClick={onRemove}
        aria-label={`Remove ${concept.name}`}
        className="shrink-0 rounded px-2 py-1 text-xs font-medium text-red-700 hover:bg-red-50"
      >
        Remove
      </button>
    </li>
  );
}
