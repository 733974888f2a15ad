"use client";

import { countNoiseSigma, ZCountPrivacy, type CountPrivacy } from "@/protocol/privacy/dp-counts";

export const DEFAULT_COUNT_DP: CountPrivacy = { epsilon: 1, delta: 1e-6 };

/** The settings when DP is on and valid; the first problem's message when not; null when DP is off. */
export function checkCountPrivacy(on: boolean, dp: CountPrivacy): { value?: CountPrivacy; error?: string } {
  if (!on) return {};
  const parsed = ZCountPrivacy.safeParse(dp);
  return parsed.success ? { value: parsed.data } : { error: parsed.error.issues[0]!.message };
}

/** The count form's differential-privacy option: ε per count, with what noise it means for this cohort. */
export function CountPrivacyFields({
  on,
  required,
  dp,
  steps,
  error,
  onChange,
}: {
  on: boolean;
  /** The approved bundle requires DP counts: the option stays on. */
  required: boolean;
  dp: CountPrivacy;
  steps: number;
  error?: string;
  onChange: (on: boolean, dp: CountPrivacy) => void;
}) {
  return (
    <fieldset className="space-y-2 rounded border border-slate-200 p-3">
      <legend className="px-1 text-sm font-medium text-slate-900">Differential privacy</legend>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={on} disabled={required} onChange={(e) => onChange(e.target.checked, dp)} />
        Add differential-privacy noise to the counts{required ? " (the approved bundle requires it)" : ""}
      </label>
      {on ? (
        <div className="space-y-1">
          <label className="flex items-center gap-2 text-sm" htmlFor="count-epsilon">
            ε per count
            <input
              id="count-epsilon"
              type="number"
              step="0.1"
              className="w-24 rounded border border-slate-300 px-2 py-1"
              value={Number.isNaN(dp.epsilon) ? "" : dp.epsilon}
              aria-invalid={error ? true : undefined}
              aria-describedby="count-epsilon-help"
              onChange={(e) => onChange(on, { ...dp, epsilon: e.target.valueAsNumber })}
            />
            <span className="text-slate-600">at δ = {dp.delta}</span>
          </label>
          {error ? <p className="text-sm text-red-700">{error}</p> : null}
          <p id="count-epsilon-help" className="text-xs text-slate-500">
            Each site adds random whole-number noise to every count before suppressing and rounding it, so no comparison
            of counts reveals one patient exactly. Smaller ε means more noise
            {error ? "" : ` (about ±${countNoiseSigma(dp, steps).toFixed(1)} persons per count for this cohort)`}. Each
            count spends ε from the site&apos;s privacy budget for this project, shared with DP training; a site refuses
            a count its budget cannot pay for.
          </p>
        </div>
      ) : null}
    </fieldset>
  );
}
