import { describePreprocessing } from "@/protocol/image-preprocessing";
import type { BundleModel } from "@/protocol/bundle";
import type { TabularFeature } from "@/protocol/model-spec";
import { CONCEPTS } from "@/protocol/omop/concepts";

/** The model specs a bundle lists, in words: what each model learns from and what it predicts. */

const TASK_WORDS: Record<BundleModel["task"], string> = {
  binary_classification: "Binary classification",
  multiclass_classification: "Multi-class classification",
  regression: "Regression",
};

const MODALITY_NAMES: Record<string, string> = { CT: "CT", MR: "MRI", XR: "X-ray", US: "ultrasound" };

const NAMES = new Map(CONCEPTS.map((c) => [c.id, c.name]));

function conceptText(id: number): string {
  const name = NAMES.get(id);
  return name ? `${name} (concept ${id})` : `concept ${id}`;
}

function featureText(feature: TabularFeature): string {
  const from = feature.from;
  const source =
    from.source === "measurement"
      ? `${from.aggregation} ${conceptText(from.conceptId)}${from.unitConceptId ? ` in ${conceptText(from.unitConceptId)}` : ""} over ${from.windowDays} days before index`
      : from.source === "condition"
        ? `any of ${from.conceptIds.map(conceptText).join("; ")} before index`
        : from.field === "sex"
          ? "sex"
          : "age at index";
  return `${feature.name}: ${source} (${feature.encoding.replace("_", "-")})`;
}

function inputText(input: BundleModel["input"]): string {
  if (input.kind === "image")
    return `${MODALITY_NAMES[input.modality] ?? input.modality} images, ${input.height} × ${input.width} × ${input.channels}, ${describePreprocessing(input.preprocessing)}${input.horizontalFlip ? ", mirrored left-right in training" : ""}`;
  return `${input.features.length} tabular ${input.features.length === 1 ? "feature" : "features"}`;
}

function outcomeText(outcome: BundleModel["outcome"]): string {
  const concepts = outcome.conceptIds.map(conceptText).join("; ");
  const when = outcome.withinDays ? `, starting within ${outcome.withinDays} days after index` : "";
  return `${outcome.name}: ${concepts}${outcome.includeDescendants ? " with descendants" : ""}${when}`;
}

export function BundleModels({ models }: { models: BundleModel[] }) {
  if (models.length === 0)
    return <p className="text-slate-600">No models yet: no model may be trained or evaluated on this cohort.</p>;
  return (
    <ol className="space-y-3">
      {models.map((model, i) => (
        <li key={i} className="rounded-md border border-slate-200 p-3">
          <p className="font-medium text-slate-900">
            {model.name} <span className="font-normal text-slate-500">({TASK_WORDS[model.task]})</span>
          </p>
          <p className="mt-1">
            <span className="text-slate-500">Learns from: </span>
            {inputText(model.input)}
          </p>
          {model.input.kind === "tabular" ? (
            <ul className="mt-1 list-disc space-y-0.5 pl-5 text-slate-700">
              {model.input.features.map((f) => (
                <li key={f.name} className="break-words">
                  {featureText(f)}
                </li>
              ))}
            </ul>
          ) : null}
          <p className="mt-1">
            <span className="text-slate-500">Predicts: </span>
            {outcomeText(model.outcome)}
          </p>
          {model.architectureSha256 ? (
            <p className="mt-1 break-all">
              <span className="text-slate-500">Architecture: </span>
              <span className="font-mono text-xs">SHA-256 {model.architectureSha256}</span>
            </p>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
