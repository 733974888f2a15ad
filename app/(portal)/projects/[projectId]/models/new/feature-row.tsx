import { Button } from "@/app/_components/ui/button";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextField } from "@/app/_components/ui/text-field";
import type { FeatureEncoding } from "@/protocol/model-spec";
import { FeatureSourceFields } from "./feature-source-fields";
import { encodingsFor, type FeatureDraft, type FeatureSource, type Issues } from "./model-draft";

const SOURCE_LABELS: Record<FeatureSource, string> = {
  measurement: "Measurement (lab value, vital sign)",
  condition: "Condition history",
  demographic: "Demographic",
};
const ENCODING_LABELS: Record<FeatureEncoding, string> = {
  standardise: "Standardise (z-score per site)",
  raw: "Raw value",
  one_hot: "One-hot (two columns)",
  binary: "Binary (0 or 1)",
};

type Props = {
  index: number;
  feature: FeatureDraft;
  onChange: (next: FeatureDraft) => void;
  onRemove: (() => void) | null;
  issues: Issues;
};

/** One input column (or two, for one-hot sex) of a tabular model. */
export function FeatureRow({ index, feature, onChange, onRemove, issues }: Props) {
  const at = `spec.input.features.${index}`;
  const id = feature.key;
  const encodings = encodingsFor(feature.source, feature.field);

  function changeSource(source: FeatureSource) {
    onChange({ ...feature, source, encoding: encodingsFor(source, feature.field)[0]! });
  }

  return (
    <fieldset className="min-w-0 space-y-3 rounded-md border border-slate-200 p-3 sm:p-4">
      <legend className="px-1 text-sm font-semibold text-slate-900">Feature {index + 1}</legend>
      <div className="grid gap-3 sm:grid-cols-2">
        <TextField
          label="Feature name"
          name={`${id}-name`}
          autoComplete="off"
          placeholder="e.g. hba1c_latest"
          value={feature.name}
          onChange={(e) => onChange({ ...feature, name: e.target.value })}
          errors={issues[`${at}.name`]}
        />
        <SelectField
          label="Source"
          name={`${id}-source`}
          value={feature.source}
          onChange={(e) => changeSource(e.target.value as FeatureSource)}
        >
          {(Object.keys(SOURCE_LABELS) as FeatureSource[]).map((s) => (
            <option key={s} value={s}>
              {SOURCE_LABELS[s]}
            </option>
          ))}
        </SelectField>
      </div>
      <FeatureSourceFields feature={feature} onChange={onChange} issues={issues} at={at} />
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="min-w-0 flex-1 sm:max-w-xs">
          <SelectField
            label="Encoding"
            name={`${id}-encoding`}
            value={feature.encoding}
            onChange={(e) => onChange({ ...feature, encoding: e.target.value as FeatureEncoding })}
            errors={issues[`${at}.encoding`]}
          >
            {encodings.map((e) => (
              <option key={e} value={e}>
                {ENCODING_LABELS[e]}
              </option>
            ))}
          </SelectField>
        </div>
        {onRemove ? (
          <Button type="button" variant="secondary" onClick={onRemove} aria-label={`Remove feature ${index + 1}`}>
            Remove
          </Button>
        ) : null}
      </div>
    </fieldset>
  );
}
