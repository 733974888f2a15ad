"use client";

import type { ZValueRange } from "@/protocol/cohort-definition";
import type { z } from "zod";
import { idFor, type Path } from "./cohort-draft";
import { InlineIssues } from "./issues";
import { NumberInput } from "./number-input";

type ValueRange = z.infer<typeof ZValueRange>;

/** Common OMOP (UCUM) unit concepts; any other unit can be entered by its concept id. */
const UNITS = [
  { id: 8842, label: "ng/mL" },
  { id: 8713, label: "g/dL" },
  { id: 8840, label: "mg/dL" },
  { id: 8876, label: "mmHg" },
  { id: 8554, label: "%" },
] as const;

const OTHER = "other";

export function MeasurementValueEditor({
  value,
  onChange,
  path,
}: {
  value: ValueRange | undefined;
  onChange: (next: ValueRange | undefined) => void;
  path: Path;
}) {
  const range = value ?? {};
  const unitChoice =
    range.unitConceptId === undefined
      ? ""
      : UNITS.some((u) => u.id === range.unitConceptId)
        ? String(range.unitConceptId)
        : OTHER;

  function update(next: ValueRange) {
    const isEmpty = next.min === undefined && next.max === undefined && next.unitConceptId === undefined;
    onChange(isEmpty ? undefined : next);
  }

  return (
    <fieldset className="rounded-md border border-slate-200 p-3">
      <legend className="px-1 text-xs font-semibold text-slate-700">Value range (optional)</legend>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4">
        <NumberInput
          id={idFor(path, "min")}
          label="At least"
          value={range.min}
          onValue={(min) => update({ ...range, min })}
          step="any"
        />
        <NumberInput
          id={idFor(path, "max")}
          label="At most"
          value={range.max}
          onValue={(max) => update({ ...range, max })}
          step="any"
        />
        <div className="flex flex-col gap-1">
          <label htmlFor={idFor(path, "unit")} className="text-xs font-medium text-slate-700">
            Unit
          </label>
          <select
            id={idFor(path, "unit")}
            value={unitChoice}
            onChange={(e) =>
              update({
                ...range,
                unitConceptId:
                  e.target.value === ""
                    ? undefined
                    : e.target.value === OTHER
                      ? (range.unitConceptId ?? 0)
                      : Number(e.target.value),
              })
            }
            className="w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:ring-2 focus:ring-nhs-blue focus:outline-none"
          >
            <option value="">Any unit</option>
            {UNITS.map((u) => (
              <option key={u.id} value={u.id}>
                {u.label} ({u.id})
              </option>
            ))}
            <option value={OTHER}>Other concept id…</option>
          </select>
        </div>
        {unitChoice === OTHER ? (
          <NumberInput
            id={idFor(path, "unit-id")}
            label="Unit concept id"
            value={range.unitConceptId || undefined}
            onValue={(unitConceptId) => update({ ...range, unitConceptId: unitConceptId ?? 0 })}
            min={1}
            step={1}
          />
        ) : null}
      </div>
      <p className="mt-2 text-xs text-slate-500">A value recorded in another unit does not match.</p>
      <InlineIssues path={path} />
      <InlineIssues path={[...path, "unitConceptId"]} />
    </fieldset>
  );
}
