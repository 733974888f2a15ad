"use client";

import type { Bundle } from "@/server/projects/projects.schema";
import { Card } from "@/app/_components/ui/card";
import { TextField } from "@/app/_components/ui/text-field";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { DP_LIMITS } from "@/protocol/privacy/dp-settings";

/** The fields this form edits; the cohort has its own builder and models are added by registering them. */
export type Governance = Omit<Bundle, "cohort" | "bundleVersion" | "models">;
export type GovernanceErrors = Partial<
  Record<
    "purpose" | "allowedJobKinds" | "outputs" | "minCellCount" | "roundingBase" | "maxRounds" | "differentialPrivacy",
    string[]
  >
>;

const JOB_KINDS = [
  { value: "cohort_count", label: "Cohort counts" },
  { value: "train", label: "Federated training" },
  { value: "evaluate", label: "Federated evaluation" },
] as const;
const OUTPUTS = [
  { value: "cohort_counts", label: "Suppressed cohort counts" },
  { value: "model_updates", label: "Model weight updates" },
  { value: "metrics", label: "Evaluation metrics" },
] as const;

/** The same limits the server's bundle schema enforces, checked before the round trip. */
export function governanceErrorsOf(g: Governance): GovernanceErrors {
  const errors: GovernanceErrors = {};
  if (g.purpose.trim().length < 20)
    errors.purpose = ["Describe the purpose in at least 20 characters, in plain English"];
  if (g.allowedJobKinds.length === 0) errors.allowedJobKinds = ["Allow at least one kind of job"];
  if (g.outputs.length === 0) errors.outputs = ["Name at least one output that may leave a site"];
  if (!Number.isInteger(g.privacy.minCellCount) || g.privacy.minCellCount < 10 || g.privacy.minCellCount > 1000)
    errors.minCellCount = ["Sites suppress counts below 10 at least; choose a whole number from 10 to 1000"];
  const rounding = g.privacy.roundingBase;
  if (rounding !== undefined && (!Number.isInteger(rounding) || rounding < 1 || rounding > 100))
    errors.roundingBase = ["Round to a whole number from 1 to 100, or leave it empty"];
  const dp = g.privacy.differentialPrivacy;
  if (
    dp &&
    !(
      dp.minNoiseMultiplier >= DP_LIMITS.minNoise &&
      dp.minNoiseMultiplier <= DP_LIMITS.maxNoise &&
      dp.maxDelta >= DP_LIMITS.minDelta &&
      dp.maxDelta <= DP_LIMITS.maxDelta &&
      (dp.maxEpsilon === undefined || (dp.maxEpsilon > 0 && dp.maxEpsilon <= 1000))
    )
  )
    errors.differentialPrivacy = [
      `Choose a noise multiplier from ${DP_LIMITS.minNoise} to ${DP_LIMITS.maxNoise}, δ from ${DP_LIMITS.minDelta} to ${DP_LIMITS.maxDelta} and ε (optional) above 0 and at most 1000`,
    ];
  if (!Number.isInteger(g.maxRounds) || g.maxRounds < 1 || g.maxRounds > 1000)
    errors.maxRounds = ["Choose a whole number of rounds from 1 to 1000"];
  return errors;
}

const numberOrNaN = (raw: string) => (raw === "" ? Number.NaN : Number(raw));

function toggled<T>(list: readonly T[], value: T, on: boolean, order: readonly T[]): T[] {
  const set = new Set(list);
  if (on) set.add(value);
  else set.delete(value);
  return order.filter((v) => set.has(v));
}

function Checklist<T extends string>({
  legend,
  options,
  value,
  onChange,
  errors,
  name,
}: {
  legend: string;
  options: readonly { value: T; label: string }[];
  value: T[];
  onChange: (next: T[]) => void;
  errors?: string[];
  name: string;
}) {
  return (
    <fieldset>
      <legend className="mb-1 text-sm font-medium text-slate-800">{legend}</legend>
      <div className="flex flex-col gap-1.5">
        {options.map((o) => (
          <span key={o.value} className="flex items-center gap-2 text-sm">
            <input
              id={`${name}-${o.value}`}
              type="checkbox"
              className="h-4 w-4 accent-nhs-blue"
              checked={value.includes(o.value)}
              onChange={(e) =>
                onChange(
                  toggled(
                    value,
                    o.value,
                    e.target.checked,
                    options.map((x) => x.value),
                  ),
                )
              }
            />
            <label htmlFor={`${name}-${o.value}`}>
              {o.label} <code className="text-xs text-slate-500">{o.value}</code>
            </label>
          </span>
        ))}
      </div>
      {errors?.length ? (
        <p role="alert" className="mt-1 text-sm text-red-700">
          {errors.join(". ")}
        </p>
      ) : null}
    </fieldset>
  );
}

export function GovernanceFields({
  value,
  onChange,
  errors,
}: {
  value: Governance;
  onChange: (next: Governance) => void;
  errors: GovernanceErrors;
}) {
  return (
    <Card title="Purpose and permissions">
      <div className="space-y-4">
        <TextAreaField
          label="Purpose"
          name="purpose"
          rows={4}
          hint="The lay summary sites read when they decide."
          value={value.purpose}
          onChange={(e) => onChange({ ...value, purpose: e.target.value })}
          errors={errors.purpose}
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <Checklist
            legend="Allowed job kinds"
            name="job-kind"
            options={JOB_KINDS}
            value={value.allowedJobKinds}
            onChange={(allowedJobKinds) => onChange({ ...value, allowedJobKinds })}
            errors={errors.allowedJobKinds}
          />
          <Checklist
            legend="Outputs allowed to leave each site"
            name="output"
            options={OUTPUTS}
            value={value.outputs}
            onChange={(outputs) => onChange({ ...value, outputs })}
            errors={errors.outputs}
          />
        </div>
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Minimum cell count"
            name="minCellCount"
            type="number"
            min={10}
            step={1}
            hint="Counts below this are suppressed at the site (never below 10)."
            value={Number.isNaN(value.privacy.minCellCount) ? "" : value.privacy.minCellCount}
            onChange={(e) =>
              onChange({ ...value, privacy: { ...value.privacy, minCellCount: numberOrNaN(e.target.value) } })
            }
            errors={errors.minCellCount}
          />
          <TextField
            label="Rounding base (optional)"
            name="roundingBase"
            type="number"
            min={1}
            step={1}
            hint="Released counts are multiples of this at least (5 is usual); sites that round finer refuse the work."
            value={
              value.privacy.roundingBase === undefined || Number.isNaN(value.privacy.roundingBase)
                ? ""
                : value.privacy.roundingBase
            }
            onChange={(e) =>
              onChange({
                ...value,
                privacy: {
                  ...value.privacy,
                  roundingBase: e.target.value === "" ? undefined : numberOrNaN(e.target.value),
                },
              })
            }
            errors={errors.roundingBase}
          />
          <TextField
            label="Maximum training rounds"
            name="maxRounds"
            type="number"
            min={1}
            step={1}
            hint="The most federated rounds any job in this project may run."
            value={Number.isNaN(value.maxRounds) ? "" : value.maxRounds}
            onChange={(e) => onChange({ ...value, maxRounds: numberOrNaN(e.target.value) })}
            errors={errors.maxRounds}
          />
        </div>
        <PrivacyRequirement value={value} onChange={onChange} errors={errors.differentialPrivacy} />
      </div>
    </Card>
  );
}

/** Whether the sites approve training only with differential privacy, and how much at least. */
function PrivacyRequirement({
  value,
  onChange,
  errors,
}: {
  value: Governance;
  onChange: (next: Governance) => void;
  errors?: string[];
}) {
  const dp = value.privacy.differentialPrivacy;
  const setDp = (next: typeof dp) => onChange({ ...value, privacy: { ...value.privacy, differentialPrivacy: next } });
  return (
    <div className="space-y-3">
      <label className="flex items-start gap-2 text-sm text-slate-800">
        <input
          type="checkbox"
          className="mt-1 h-4 w-4"
          checked={dp !== undefined}
          onChange={(e) => setDp(e.target.checked ? { minNoiseMultiplier: 1, maxDelta: 1e-5 } : undefined)}
        />
        <span>Require differential privacy for training: jobs must add at least this much noise at each site.</span>
      </label>
      {dp ? (
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Minimum noise multiplier"
            name="privacy.differentialPrivacy.minNoiseMultiplier"
            type="number"
            step="any"
            value={Number.isNaN(dp.minNoiseMultiplier) ? "" : dp.minNoiseMultiplier}
            onChange={(e) => setDp({ ...dp, minNoiseMultiplier: numberOrNaN(e.target.value) })}
            errors={errors}
          />
          <TextField
            label="Maximum δ"
            name="privacy.differentialPrivacy.maxDelta"
            type="number"
            step="any"
            value={Number.isNaN(dp.maxDelta) ? "" : dp.maxDelta}
            onChange={(e) => setDp({ ...dp, maxDelta: numberOrNaN(e.target.value) })}
          />
          <TextField
            label="Privacy budget ε per site (optional)"
            name="privacy.differentialPrivacy.maxEpsilon"
            type="number"
            step="any"
            hint="All of the project's training may spend at most this ε (at the maximum δ) at each site."
            value={dp.maxEpsilon === undefined || Number.isNaN(dp.maxEpsilon) ? "" : dp.maxEpsilon}
            onChange={(e) =>
              setDp({ ...dp, maxEpsilon: e.target.value === "" ? undefined : numberOrNaN(e.target.value) })
            }
          />
        </div>
      ) : null}
    </div>
  );
}
