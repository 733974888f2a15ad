import { TextField } from "@/app/_components/ui/text-field";
import type { Bundle } from "@/protocol/bundle";
import type { FieldErrors } from "@/protocol/field-errors";
import { estimateEpsilon, ZDifferentialPrivacy } from "@/protocol/privacy/dp-settings";
import { numberOf } from "./job-form-validation";

export type PrivacyDraft = {
  isDp: boolean;
  noiseMultiplier: string;
  delta: string;
  isExampleLevel: boolean;
  exampleNoise: string;
  exampleClip: string;
  examplesPerSite: string;
  isSecure: boolean;
  /** The approved bundle requires secure aggregation: the switch stays on. */
  isSecureRequired: boolean;
};

export function initialPrivacy(bundle: Bundle): PrivacyDraft {
  const required = bundle.privacy.differentialPrivacy;
  return {
    isDp: required !== undefined,
    noiseMultiplier: String(required?.minNoiseMultiplier ?? 1),
    delta: String(required?.maxDelta ?? 1e-5),
    isExampleLevel: false,
    exampleNoise: "1.1",
    exampleClip: "1",
    examplesPerSite: "1000",
    isSecure: bundle.privacy.secureAggregation === true,
    isSecureRequired: bundle.privacy.secureAggregation === true,
  };
}

/** The job input's privacy fields from the draft. */
export function privacyOf(draft: PrivacyDraft) {
  return {
    differentialPrivacy: draft.isDp
      ? {
          noiseMultiplier: numberOf(draft.noiseMultiplier),
          delta: numberOf(draft.delta),
          exampleLevel: draft.isExampleLevel
            ? { noiseMultiplier: numberOf(draft.exampleNoise), clipNorm: numberOf(draft.exampleClip) }
            : undefined,
        }
      : undefined,
    secureAggregation: draft.isSecure,
  };
}

/** ε the job would spend at one site, computed in the browser with the accountant the sites use. */
function liveEstimate(draft: PrivacyDraft, rounds: number, batchSize: number, localEpochs: number): string {
  const dp = ZDifferentialPrivacy.safeParse(privacyOf(draft).differentialPrivacy);
  const exampleCount = numberOf(draft.examplesPerSite);
  if (!dp.success || !(rounds >= 1) || !(batchSize >= 1) || !(localEpochs >= 1) || !(exampleCount >= 1))
    return "Enter valid settings to see ε.";
  const epsilon = estimateEpsilon(dp.data, rounds, { exampleCount, batchSize, localEpochs });
  return `About ε = ${epsilon.toFixed(2)} at δ = ${dp.data.delta} per site for ${rounds} rounds. Each site charges its own budget (at its own δ) and refuses a job that would exceed it.`;
}

export function PrivacyFields({
  value,
  onChange,
  errors,
  training,
}: {
  value: PrivacyDraft;
  onChange: (next: PrivacyDraft) => void;
  errors: FieldErrors;
  training: { rounds: number; batchSize: number; localEpochs: number };
}) {
  const set = (key: keyof PrivacyDraft) => (e: { target: { value: string } }) =>
    onChange({ ...value, [key]: e.target.value });
  const toggle = (key: "isDp" | "isExampleLevel" | "isSecure") => (e: { target: { checked: boolean } }) =>
    onChange({ ...value, [key]: e.target.checked });
  const box = "flex items-start gap-2 text-sm text-slate-800";
  return (
    <div className="space-y-4">
      <label className={box}>
        <input
          type="checkbox"
          className="mt-1 h-4 w-4"
          checked={value.isSecure}
          onChange={toggle("isSecure")}
          disabled={value.isSecureRequired}
        />
        <span>
          Secure aggregation: each site masks its update with keys it agrees with the other sites, so the hub can open
          only the sum of a round’s updates, never one site’s. Needs at least 3 sites per round; a round still
          aggregates if up to a third of them drop out, and fails (without a new version) if more do.
          {value.isDp ? " With differential privacy, each site then adds only its share of the noise." : null}
          {value.isSecureRequired ? " The approved bundle requires it." : null}
        </span>
      </label>
      {errors.secureAggregation ? <p className="text-sm text-red-700">{errors.secureAggregation.join(" ")}</p> : null}
      <label className={box}>
        <input type="checkbox" className="mt-1 h-4 w-4" checked={value.isDp} onChange={toggle("isDp")} />
        <span>
          Differential privacy (DP-FedAvg): each site clips its update to the norm bound and adds Gaussian noise.
        </span>
      </label>
      {errors.differentialPrivacy ? (
        <p className="text-sm text-red-700">{errors.differentialPrivacy.join(" ")}</p>
      ) : null}
      {value.isDp ? (
        <>
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField
              label="Noise multiplier"
              name="differentialPrivacy.noiseMultiplier"
              type="number"
              inputMode="decimal"
              step="any"
              hint="Noise standard deviation on the sum, as a multiple of the norm bound."
              value={value.noiseMultiplier}
              onChange={set("noiseMultiplier")}
              errors={errors["differentialPrivacy.noiseMultiplier"]}
            />
            <TextField
              label="δ"
              name="differentialPrivacy.delta"
              type="number"
              inputMode="decimal"
              step="any"
              hint="Chance the guarantee fails; keep it well below 1 / the number of patients."
              value={value.delta}
              onChange={set("delta")}
              errors={errors["differentialPrivacy.delta"]}
            />
          </div>
          <label className={box}>
            <input
              type="checkbox"
              className="mt-1 h-4 w-4"
              checked={value.isExampleLevel}
              onChange={toggle("isExampleLevel")}
            />
            <span>Also example-level DP-SGD in local training (per-example clipping and noise; much slower).</span>
          </label>
          {value.isExampleLevel ? (
            <div className="grid gap-4 sm:grid-cols-3">
              <TextField
                label="Per-example noise multiplier"
                name="differentialPrivacy.exampleLevel.noiseMultiplier"
                type="number"
                inputMode="decimal"
                step="any"
                value={value.exampleNoise}
                onChange={set("exampleNoise")}
                errors={errors["differentialPrivacy.exampleLevel.noiseMultiplier"]}
              />
              <TextField
                label="Per-example clipping bound"
                name="differentialPrivacy.exampleLevel.clipNorm"
                type="number"
                inputMode="decimal"
                step="any"
                value={value.exampleClip}
                onChange={set("exampleClip")}
                errors={errors["differentialPrivacy.exampleLevel.clipNorm"]}
              />
              <TextField
                label="Training examples per site (estimate only)"
                name="examplesPerSite"
                type="number"
                inputMode="numeric"
                value={value.examplesPerSite}
                onChange={set("examplesPerSite")}
              />
            </div>
          ) : null}
          <p className="text-sm font-medium text-slate-900" role="status" aria-live="polite">
            {liveEstimate(value, training.rounds, training.batchSize, training.localEpochs)}
          </p>
        </>
      ) : null}
    </div>
  );
}
