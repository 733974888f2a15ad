import type { ReactNode } from "react";
import { Card } from "@/app/_components/ui/card";
import type { ModelInput } from "@/protocol/model-spec";
import { describeInput, TASK_LABELS } from "../_components/format";
import type { ModelDetail } from "../_components/types";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-0.5 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

function describeFeature(f: Extract<ModelInput, { kind: "tabular" }>["features"][number]): string {
  const from = f.from;
  const source =
    from.source === "measurement"
      ? `${from.aggregation} of measurement ${from.conceptId} over ${from.windowDays} days`
      : from.source === "condition"
        ? `any of ${from.conceptIds.length} condition concepts before index`
        : from.field.replace(/_/g, " ");
  return `${f.name}: ${source}, ${f.encoding.replace("_", "-")}`;
}

/** What the model predicts from what; the stored JSON was validated against these schemas at registration. */
export function ModelFacts({ model }: { model: ModelDetail["model"] }) {
  const { input, outcome } = model;
  return (
    <Card title="About this model">
      <dl className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <Fact label="Task">
          {TASK_LABELS[model.task]}
          {model.classes ? ` (${model.classes} classes)` : ""}
        </Fact>
        <Fact label="Input">{describeInput(input)}</Fact>
        <Fact label="Outcome">
          {outcome.name}{" "}
          <span className="text-slate-500">
            ({outcome.conceptIds.length} condition {outcome.conceptIds.length === 1 ? "concept" : "concepts"}
            {outcome.includeDescendants ? " with descendants" : ""}
            {outcome.withinDays ? `, within ${outcome.withinDays} days` : ""})
          </span>
        </Fact>
        <Fact label="Parameters">{model.parameterCount.toLocaleString("en-GB")}</Fact>
      </dl>
      {input.kind === "tabular" ? (
        <details className="mt-4 text-sm">
          <summary className="cursor-pointer font-medium text-slate-800">Features ({input.features.length})</summary>
          <ol className="mt-2 list-decimal space-y-0.5 pl-5 text-slate-700">
            {input.features.map((f) => (
              <li key={f.name} className="break-words">
                {describeFeature(f)}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </Card>
  );
}
