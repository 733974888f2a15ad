"use client";

import { SEXES } from "@/protocol/cohort-definition";
import { idFor, type Demographics, type Path } from "./cohort-draft";
import { InlineIssues } from "./issues";
import { NumberInput } from "./number-input";

const SEX_LABELS: Record<(typeof SEXES)[number], string> = { male: "Male", female: "Female" };

/**
 * Age and recorded sex; leaving everything empty means no restriction. By default the age at the
 * index date (`ageAtIndex`); a criterion's own filter is the age at its event (`ageKey` "age").
 */
export function DemographicsEditor({
  value,
  onChange,
  path,
  ageKey = "ageAtIndex",
  ageLabel = "Age at index (years)",
}: {
  value: Demographics;
  onChange: (next: Demographics) => void;
  path: Path;
  ageKey?: "ageAtIndex" | "age";
  ageLabel?: string;
}) {
  const age = value.ageAtIndex ?? {};
  const sexes = new Set(value.sex ?? []);

  function setAge(next: { min?: number; max?: number }) {
    const { ageAtIndex: _age, ...rest } = value;
    onChange(next.min === undefined && next.max === undefined ? rest : { ...rest, ageAtIndex: next });
  }

  function toggleSex(sex: (typeof SEXES)[number]) {
    const next = new Set(sexes);
    if (next.has(sex)) next.delete(sex);
    else next.add(sex);
    const { sex: _sex, ...rest } = value;
    onChange(next.size ? { ...rest, sex: SEXES.filter((s) => next.has(s)) } : rest);
  }

  return (
    <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
      <fieldset>
        <legend className="mb-1 text-xs font-semibold text-slate-700">{ageLabel}</legend>
        <div className="grid grid-cols-2 gap-2">
          <NumberInput
            id={idFor(path, "age-min")}
            label="From"
            value={age.min}
            min={0}
            max={130}
            step={1}
            onValue={(min) => setAge({ ...age, min })}
          />
          <NumberInput
            id={idFor(path, "age-max")}
            label="To"
            value={age.max}
            min={0}
            max={130}
            step={1}
            onValue={(max) => setAge({ ...age, max })}
          />
        </div>
        <InlineIssues path={[...path, ageKey]} />
        <InlineIssues path={[...path, ageKey, "min"]} />
        <InlineIssues path={[...path, ageKey, "max"]} />
      </fieldset>
      <fieldset>
        <legend className="mb-1 text-xs font-semibold text-slate-700">Sex (any when none ticked)</legend>
        <div className="flex flex-wrap gap-4 pt-1">
          {SEXES.map((sex) => (
            <span key={sex} className="flex items-center gap-2 text-sm">
              <input
                id={idFor(path, `sex-${sex}`)}
                type="checkbox"
                className="h-4 w-4 accent-nhs-blue"
                checked={sexes.has(sex)}
                onChange={() => toggleSex(sex)}
              />
              <label htmlFor={idFor(path, `sex-${sex}`)}>{SEX_LABELS[sex]}</label>
            </span>
          ))}
        </div>
        <InlineIssues path={[...path, "sex"]} />
      </fieldset>
    </div>
  );
}
