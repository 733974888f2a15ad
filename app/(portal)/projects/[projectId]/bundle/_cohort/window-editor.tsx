"use client";

import type { RuleCriterion, Path } from "./cohort-draft";
import { idFor } from "./cohort-draft";
import { InlineIssues } from "./issues";
import { NumberInput } from "./number-input";

type Window = NonNullable<RuleCriterion["window"]>;

/** Days relative to the index date; negative is before it. Unticked means any time in the record. */
export function WindowEditor({
  window,
  onChange,
  path,
}: {
  window: Window | undefined;
  onChange: (next: Window | undefined) => void;
  path: Path;
}) {
  const toggleId = idFor(path, "window-on");
  return (
    <div className="space-y-2">
      <span className="flex items-center gap-2 text-sm">
        <input
          id={toggleId}
          type="checkbox"
          className="h-4 w-4 accent-nhs-blue"
          checked={!!window}
          onChange={(e) => onChange(e.target.checked ? { startDays: 0, endDays: 30 } : undefined)}
        />
        <label htmlFor={toggleId}>Only within a window around the index date</label>
      </span>
      {window ? (
        <p className="text-xs text-slate-500">
          Days from the index date: negative is before it, 0 is the index date (−365 to −1 is the year before).
        </p>
      ) : null}
      {window ? (
        <div className="grid max-w-md grid-cols-2 gap-3">
          <NumberInput
            id={idFor(path, "window-start")}
            label="Start (days)"
            value={window.startDays}
            step={1}
            onValue={(startDays) => onChange({ ...window, startDays: startDays ?? Number.NaN })}
          />
          <NumberInput
            id={idFor(path, "window-end")}
            label="End (days)"
            value={window.endDays}
            step={1}
            onValue={(endDays) => onChange({ ...window, endDays: endDays ?? Number.NaN })}
          />
        </div>
      ) : null}
      <InlineIssues path={[...path, "window"]} />
      <InlineIssues path={[...path, "window", "startDays"]} />
      <InlineIssues path={[...path, "window", "endDays"]} />
    </div>
  );
}
