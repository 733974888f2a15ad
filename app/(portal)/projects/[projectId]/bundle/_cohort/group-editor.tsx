"use client";

import { COHORT_LIMITS, type CriteriaGroup } from "@/protocol/cohort-definition";
import { Button } from "@/app/_components/ui/button";
import { emptyCriterion, emptyGroup, idFor, replaceAt, type GroupItem, type Path } from "./cohort-draft";
import { CriterionEditor } from "./criterion-editor";
import { DemographicsEditor } from "./demographics-editor";
import { InlineIssues } from "./issues";

const ITEM_TITLES = { criterion: "Event", demographics: "Demographics", group: "Group" } as const;
const small = "px-2.5 py-1 text-xs";

/** AND/OR over criteria, demographics and nested groups, at most COHORT_LIMITS.maxGroupDepth deep. */
export function GroupEditor({
  group,
  onChange,
  path,
  depth,
}: {
  group: CriteriaGroup;
  onChange: (next: CriteriaGroup) => void;
  path: Path;
  depth: number;
}) {
  const operatorId = idFor(path, "operator");
  const canNest = depth < COHORT_LIMITS.maxGroupDepth;
  const setItems = (items: GroupItem[]) => onChange({ ...group, items });

  return (
    <div
      className={`space-y-3 rounded-md border p-3 ${depth % 2 ? "border-slate-200 bg-white" : "border-slate-200 bg-slate-50"}`}
    >
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <label htmlFor={operatorId} className="font-medium text-slate-700">
          Match
        </label>
        <select
          id={operatorId}
          value={group.operator}
          onChange={(e) => {
            const operator = e.target.value as CriteriaGroup["operator"];
            const { count: _old, ...rest } = group;
            const isCounted = operator === "AT_LEAST" || operator === "AT_MOST";
            onChange(isCounted ? { ...rest, operator, count: group.count ?? 1 } : { ...rest, operator });
          }}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
        >
          <option value="AND">all of (AND)</option>
          <option value="OR">any of (OR)</option>
          <option value="AT_LEAST">at least N of</option>
          <option value="AT_MOST">at most N of</option>
        </select>
        {group.count !== undefined ? (
          <input
            id={idFor(path, "count")}
            aria-label="How many of these"
            type="number"
            min={0}
            value={group.count}
            onChange={(e) => onChange({ ...group, count: e.target.value === "" ? 0 : Number(e.target.value) })}
            className="w-16 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
          />
        ) : null}
        <span className="text-slate-600">these:</span>
      </div>
      <ol className="space-y-3">
        {group.items.map((item, i) => {
          const itemPath = [...path, "items", i];
          return (
            <li key={i} className="rounded-md border border-slate-200 bg-white p-3">
              <div className="mb-2 flex items-center justify-between gap-2">
                <span className="text-xs font-semibold tracking-wide text-slate-500 uppercase">
                  {i > 0 && (group.operator === "AND" || group.operator === "OR") ? `${group.operator} · ` : ""}
                  {ITEM_TITLES[item.kind]}
                </span>
                <Button
                  type="button"
                  variant="secondary"
                  className={small}
                  aria-label={`Remove ${ITEM_TITLES[item.kind].toLowerCase()} ${i + 1}`}
                  onClick={() => setItems(group.items.filter((_, j) => j !== i))}
                >
                  Remove
                </Button>
              </div>
              {item.kind === "criterion" ? (
                <CriterionEditor
                  value={item}
                  path={itemPath}
                  onChange={(next) => setItems(replaceAt(group.items, i, next))}
                />
              ) : item.kind === "demographics" ? (
                <DemographicsEditor
                  value={item.demographics}
                  path={[...itemPath, "demographics"]}
                  onChange={(demographics) =>
                    setItems(replaceAt(group.items, i, { kind: "demographics", demographics }))
                  }
                />
              ) : (
                <GroupEditor
                  group={item}
                  depth={depth + 1}
                  path={itemPath}
                  onChange={(next) => setItems(replaceAt(group.items, i, next))}
                />
              )}
            </li>
          );
        })}
      </ol>
      <InlineIssues path={[...path, "items"]} />
      <InlineIssues path={path} />
      <div className="flex flex-wrap gap-2">
        <Button
          type="button"
          variant="secondary"
          className={small}
          onClick={() => setItems([...group.items, emptyCriterion()])}
        >
          Add event
        </Button>
        <Button
          type="button"
          variant="secondary"
          className={small}
          onClick={() => setItems([...group.items, { kind: "demographics", demographics: {} }])}
        >
          Add demographics
        </Button>
        <Button
          type="button"
          variant="secondary"
          className={small}
          disabled={!canNest}
          title={canNest ? undefined : `Groups nest at most ${COHORT_LIMITS.maxGroupDepth} deep`}
          onClick={() => setItems([...group.items, emptyGroup()])}
        >
          Add group
        </Button>
      </div>
    </div>
  );
}
