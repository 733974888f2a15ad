"use client";

import { idFor, type Path, type RuleCriterion } from "./cohort-draft";
import { EventFields } from "./event-fields";
import { WindowEditor } from "./window-editor";

/** One event condition inside a rule: has (or has no) such event, optionally within a window. */
export function CriterionEditor({
  value,
  onChange,
  path,
}: {
  value: RuleCriterion;
  onChange: (next: RuleCriterion) => void;
  path: Path;
}) {
  const excludeId = idFor(path, "exclude");
  return (
    <div className="space-y-3">
      <div className="flex flex-col gap-1 sm:max-w-xs">
        <label htmlFor={excludeId} className="text-xs font-medium text-slate-700">
          The person
        </label>
        <select
          id={excludeId}
          value={value.exclude ? "exclude" : "include"}
          onChange={(e) => onChange({ ...value, exclude: e.target.value === "exclude" })}
          className="w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:ring-2 focus:ring-nhs-blue focus:outline-none"
        >
          <option value="include">must have</option>
          <option value="exclude">must NOT have</option>
        </select>
      </div>
      <EventFields
        typeLabel="Event type"
        event={value.criterion}
        path={[...path, "criterion"]}
        onChange={(criterion) => onChange({ ...value, criterion })}
      />
      <WindowEditor
        window={value.window}
        path={path}
        onChange={(window) => {
          const { window: _old, ...rest } = value;
          onChange(window ? { ...rest, window } : rest);
        }}
      />
    </div>
  );
}
