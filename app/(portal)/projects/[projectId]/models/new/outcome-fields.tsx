import { TextField } from "@/app/_components/ui/text-field";
import { ConceptSearch } from "../../../_components/concept-search";
import { ConceptTag } from "../_components/concept-tag";
import { FieldErrors } from "../_components/field-errors";
import type { Issues, ModelDraft } from "./model-draft";
import { NumberField } from "./number-field";

type Outcome = ModelDraft["outcome"];

/** Restates ZOutcome's definition for the input kind chosen, because the same concepts mean different labels. */
const LABEL_MEANING = {
  image: "A scan is labelled positive when the person had one of these conditions starting on or before the scan date.",
  tabular:
    "A cohort member is labelled positive when one of these conditions starts on or after their index date (within the window below, if set). Conditions before the index are features, never the label.",
} as const;

export function OutcomeFields({
  outcome,
  inputKind,
  onChange,
  issues,
}: {
  outcome: Outcome;
  inputKind: ModelDraft["inputKind"];
  onChange: (next: Outcome) => void;
  issues: Issues;
}) {
  return (
    <div className="space-y-4">
      <p className="rounded-md bg-sky-50 px-3 py-2 text-sm text-sky-900">{LABEL_MEANING[inputKind]}</p>
      <TextField
        label="Outcome name"
        name="outcome-name"
        autoComplete="off"
        placeholder="e.g. Pneumonia"
        value={outcome.name}
        onChange={(e) => onChange({ ...outcome, name: e.target.value })}
        errors={issues["outcome.name"]}
      />
      <div className="space-y-1">
        <p className="text-sm font-medium text-slate-800">Outcome condition concepts</p>
        <ConceptSearch
          label="Outcome condition concepts"
          domain="Condition"
          picked={outcome.concepts.map((c) => c.id)}
          onPick={(c) => onChange({ ...outcome, concepts: [...outcome.concepts, c] })}
        />
        {outcome.concepts.length ? (
          <ul aria-label="Chosen outcome concepts" className="space-y-1.5">
            {outcome.concepts.map((c) => (
              <ConceptTag
                key={c.id}
                concept={c}
                onRemove={() => onChange({ ...outcome, concepts: outcome.concepts.filter((x) => x.id !== c.id) })}
              />
            ))}
          </ul>
        ) : null}
        <FieldErrors errors={issues["outcome.conceptIds"]} />
      </div>
      <div className="flex items-center gap-2">
        <input
          id="outcome-descendants"
          type="checkbox"
          className="h-4 w-4 accent-nhs-blue"
          checked={outcome.includeDescendants}
          onChange={(e) => onChange({ ...outcome, includeDescendants: e.target.checked })}
        />
        <label htmlFor="outcome-descendants" className="text-sm text-slate-800">
          Include descendant concepts
        </label>
      </div>
      {inputKind === "tabular" ? (
        <div className="sm:max-w-xs">
          <NumberField
            label="Within (days after index)"
            name="outcome-within"
            min={1}
            max={36_500}
            value={outcome.withinDays}
            onValue={(withinDays) => onChange({ ...outcome, withinDays })}
            errors={issues["outcome.withinDays"]}
            hint="Optional. Blank counts the outcome at any time after the index date."
          />
        </div>
      ) : null}
    </div>
  );
}
