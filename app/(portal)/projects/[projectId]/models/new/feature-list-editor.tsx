import { Button } from "@/app/_components/ui/button";
import { MODEL_SPEC_LIMITS } from "@/protocol/model-spec";
import { FeatureRow } from "./feature-row";
import { FieldErrors } from "../_components/field-errors";
import { newFeature, type FeatureDraft, type Issues } from "./model-draft";

/** The tabular input: an ordered list of features, each one or two model input columns. */
export function FeatureListEditor({
  features,
  onChange,
  issues,
}: {
  features: FeatureDraft[];
  onChange: (next: FeatureDraft[]) => void;
  issues: Issues;
}) {
  return (
    <div className="space-y-3">
      <p className="text-sm text-slate-600">
        Each feature is computed at the site from its OMOP data, relative to each cohort member’s index date. Missing
        measurements are filled with the site’s mean.
      </p>
      {features.map((feature, i) => (
        <FeatureRow
          key={feature.key}
          index={i}
          feature={feature}
          issues={issues}
          onChange={(next) => onChange(features.map((f, j) => (j === i ? next : f)))}
          onRemove={features.length > 1 ? () => onChange(features.filter((_, j) => j !== i)) : null}
        />
      ))}
      <FieldErrors errors={issues["spec.input.features"]} />
      <Button
        type="button"
        variant="secondary"
        disabled={features.length >= MODEL_SPEC_LIMITS.maxFeatures}
        onClick={() => onChange([...features, newFeature()])}
      >
        Add feature
      </Button>
    </div>
  );
}
