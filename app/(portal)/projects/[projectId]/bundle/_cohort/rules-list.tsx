"use client";

import { COHORT_LIMITS } from "@/protocol/cohort-definition";
import { Button } from "@/app/_components/ui/button";
import { emptyRule, idFor, moveItem, replaceAt, type InclusionRule } from "./cohort-draft";
import { GroupEditor } from "./group-editor";
import { InlineIssues } from "./issues";

const small = "px-2.5 py-1 text-xs";

/** Inclusion rules apply in order; attrition reports who remains after each, so order matters. */
export function RulesList({ rules, onChange }: { rules: InclusionRule[]; onChange: (next: InclusionRule[]) => void }) {
  return (
    <div className="space-y-4">
      {rules.length === 0 ? (
        <p className="text-sm text-slate-500">
          No inclusion rules: everyone with the entry event (and matching demographics) is counted.
        </p>
      ) : null}
      <ol className="space-y-4">
        {rules.map((rule, i) => {
          const path = ["inclusionRules", i];
          const nameId = idFor(path, "name");
          return (
            <li key={i} className="rounded-lg border border-slate-300 p-3 sm:p-4">
              <div className="mb-3 flex flex-wrap items-end gap-2">
                <span
                  className="mb-2 inline-flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-nhs-blue text-xs font-semibold text-white"
                  aria-hidden
                >
                  {i + 1}
                </span>
                <div className="flex min-w-0 flex-1 basis-48 flex-col gap-1">
                  <label htmlFor={nameId} className="text-xs font-medium text-slate-700">
                    Rule name
                  </label>
                  <input
                    id={nameId}
                    value={rule.name}
                    maxLength={120}
                    onChange={(e) => onChange(replaceAt(rules, i, { ...rule, name: e.target.value }))}
                    className="w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm shadow-sm focus:ring-2 focus:ring-nhs-blue focus:outline-none"
                  />
                </div>
                <div className="flex gap-1">
                  <Button
                    type="button"
                    variant="secondary"
                    className={small}
                    aria-label={`Move rule ${i + 1} up`}
                    disabled={i === 0}
                    onClick={() => onChange(moveItem(rules, i, i - 1))}
                  >
                    ↑ Up
                  </Button>
                  <Button
                    type="button"
                    variant="secondary"
                    className={small}
                    aria-label={`Move rule ${i + 1} down`}
                    disabled={i === rules.length - 1}
                    onClick={() => onChange(moveItem(rules, i, i + 1))}
                  >
                    ↓ Down
                  </Button>
                  <Button
                    type="button"
                    variant="secondary"
                    className={small}
                    aria-label={`Remove rule ${i + 1}`}
                    onClick={() => onChange(rules.filter((_, j) => j !== i))}
                  >
                    Remove
                  </Button>
                </div>
              </div>
              <InlineIssues path={[...path, "name"]} />
              <GroupEditor
                group={rule.group}
                depth={1}
                path={[...path, "group"]}
                onChange={(group) => onChange(replaceAt(rules, i, { ...rule, group }))}
              />
            </li>
          );
        })}
      </ol>
      <InlineIssues path={["inclusionRules"]} />
      <Button
        type="button"
        variant="secondary"
        disabled={rules.length >= COHORT_LIMITS.maxRules}
        onClick={() => onChange([...rules, emptyRule(rules.length)])}
      >
        Add rule
      </Button>
    </div>
  );
}
