import { SelectField } from "@/app/_components/ui/select-field";
import { MODEL_SPEC_LIMITS } from "@/protocol/model-spec";
import { ConceptSearch } from "../../../_components/concept-search";
import { ConceptTag } from "../_components/concept-tag";
import { FieldErrors } from "../_components/field-errors";
import type { Aggregation, FeatureDraft, Issues } from "./model-draft";
import { NumberField } from "./number-field";

type Props = { feature: FeatureDraft; onChange: (next: FeatureDraft) => void; issues: Issues; at: string };

const AGGREGATIONS: { value: Aggregation; label: string }[] = [
  { value: "latest", label: "Latest value" },
  { value: "mean", label: "Mean" },
  { value: "max", label: "Maximum" },
  { value: "min", label: "Minimum" },
];

function ConceptLabel({ children }: { children: string }) {
  return <p className="text-sm font-medium text-slate-800">{children}</p>;
}

/** The part of a feature that depends on where its value comes from in OMOP. */
export function FeatureSourceFields({ feature, onChange, issues, at }: Props) {
  const id = feature.key;
  if (feature.source === "measurement") {
    return (
      <div className="grid gap-3 sm:grid-cols-2">
        <div className="space-y-1 sm:col-span-2">
          <ConceptLabel>Measurement concept</ConceptLabel>
          {feature.measurement ? (
            <ul>
              <ConceptTag concept={feature.measurement} onRemove={() => onChange({ ...feature, measurement: null })} />
            </ul>
          ) : (
            <ConceptSearch
              label="Measurement concept"
              domain="Measurement"
              picked={[]}
              onPick={(measurement) => onChange({ ...feature, measurement })}
            />
          )}
          <FieldErrors errors={issues[`${at}.from.conceptId`]} />
        </div>
        <div className="space-y-1 sm:col-span-2">
          <ConceptLabel>Unit (optional)</ConceptLabel>
          <p className="text-xs text-slate-500">
            Values recorded in another unit are left out, so sites never mix mg/dL with mmol/L.
          </p>
          {feature.unit ? (
            <ul>
              <ConceptTag concept={feature.unit} onRemove={() => onChange({ ...feature, unit: null })} />
            </ul>
          ) : (
            <ConceptSearch
              label="Unit concept"
              domain="Unit"
              picked={[]}
              onPick={(unit) => onChange({ ...feature, unit })}
            />
          )}
        </div>
        <SelectField
          label="Aggregation"
          name={`${id}-aggregation`}
          value={feature.aggregation}
          onChange={(e) => onChange({ ...feature, aggregation: e.target.value as Aggregation })}
        >
          {AGGREGATIONS.map((a) => (
            <option key={a.value} value={a.value}>
              {a.label}
            </option>
          ))}
        </SelectField>
        <NumberField
          label="Window (days before index)"
          name={`${id}-window`}
          min={1}
          max={MODEL_SPEC_LIMITS.maxWindowDays}
          value={feature.windowDays}
          onValue={(windowDays) => onChange({ ...feature, windowDays })}
          errors={issues[`${at}.from.windowDays`]}
        />
      </div>
    );
  }
  if (feature.source === "condition") {
    return (
      <div className="space-y-1">
        <ConceptLabel>Condition concepts</ConceptLabel>
        <p className="text-xs text-slate-500">
          The feature is 1 when any of these (or their descendants) started before the index date, otherwise 0.
        </p>
        <ConceptSearch
          label="Condition concepts"
          domain="Condition"
          picked={feature.conditions.map((c) => c.id)}
          onPick={(c) => onChange({ ...feature, conditions: [...feature.conditions, c] })}
        />
        {feature.conditions.length ? (
          <ul aria-label="Chosen condition concepts" className="space-y-1.5">
            {feature.conditions.map((c) => (
              <ConceptTag
                key={c.id}
                concept={c}
                onRemove={() => onChange({ ...feature, conditions: feature.conditions.filter((x) => x.id !== c.id) })}
              />
            ))}
          </ul>
        ) : null}
        <FieldErrors errors={issues[`${at}.from.conceptIds`]} />
      </div>
    );
  }
  return (
    <SelectField
      label="Demographic"
      name={`${id}-field`}
      value={feature.field}
      onChange={(e) => {
        const field = e.target.value === "sex" ? "sex" : "age_at_index";
        onChange({ ...feature, field, encoding: field === "sex" ? "one_hot" : "standardise" });
      }}
    >
      <option value="age_at_index">Age at index (years)</option>
      <option value="sex">Sex</option>
    </SelectField>
  );
}
