import { TextField } from "@/app/_components/ui/text-field";
import type { FieldErrors } from "@/protocol/field-errors";

export type StrategyKind = "fedavg" | "fedprox" | "fedadam";
export type StrategyDraft = { kind: StrategyKind; mu: string; serverLr: string };

const OPTIONS: { kind: StrategyKind; label: string; explanation: string }[] = [
  {
    kind: "fedavg",
    label: "FedAvg",
    explanation: "Averages the sites' models, weighted by how many examples each trained on.",
  },
  {
    kind: "fedprox",
    label: "FedProx",
    explanation:
      "FedAvg with a pull towards the global model at each site (strength mu); steadier when sites' data differ.",
  },
  {
    kind: "fedadam",
    label: "FedAdam",
    explanation: "Applies Adam on the hub to the averaged update; adapts the step size when rounds are noisy.",
  },
];

export function StrategyFields({
  value,
  onChange,
  errors,
}: {
  value: StrategyDraft;
  onChange: (next: StrategyDraft) => void;
  errors: FieldErrors;
}) {
  return (
    <fieldset className="space-y-3">
      <legend className="mb-1 text-sm font-medium text-slate-800">Aggregation strategy</legend>
      <div className="grid gap-2 md:grid-cols-3">
        {OPTIONS.map((o) => (
          <label
            key={o.kind}
            className={`flex cursor-pointer items-start gap-2 rounded-md border px-3 py-2 text-sm ${value.kind === o.kind ? "border-nhs-blue bg-sky-50" : "border-slate-200 bg-white"}`}
          >
            {/* Named by the label alone so "FedAvg" is what assistive tech reads first; the explanation describes it. */}
            <input
              type="radio"
              name="strategy"
              aria-label={o.label}
              aria-describedby={`strategy-${o.kind}-explanation`}
              className="mt-1 h-4 w-4 accent-nhs-blue"
              checked={value.kind === o.kind}
              onChange={() => onChange({ ...value, kind: o.kind })}
            />
            <span>
              <span className="font-semibold text-slate-900">{o.label}</span>
              <span id={`strategy-${o.kind}-explanation`} className="block text-xs text-slate-600">
                {o.explanation}
              </span>
            </span>
          </label>
        ))}
      </div>
      {value.kind === "fedprox" ? (
        <TextField
          label="Proximal term mu"
          name="strategy.mu"
          type="number"
          inputMode="decimal"
          step="any"
          min={0}
          hint="How strongly each site stays near the global model; 0.001–0.1 is typical."
          value={value.mu}
          onChange={(e) => onChange({ ...value, mu: e.target.value })}
          errors={errors["strategy.mu"]}
        />
      ) : null}
      {value.kind === "fedadam" ? (
        <TextField
          label="Server learning rate"
          name="strategy.serverLr"
          type="number"
          inputMode="decimal"
          step="any"
          min={0}
          hint="The hub's Adam step size; 0.001–0.1 is typical."
          value={value.serverLr}
          onChange={(e) => onChange({ ...value, serverLr: e.target.value })}
          errors={errors["strategy.serverLr"]}
        />
      ) : null}
    </fieldset>
  );
}
