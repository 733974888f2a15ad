"use client";

import { eventCriteriaOf, type CohortDefinition } from "@/protocol/cohort-definition";
import { CohortSummary } from "@/app/_components/cohort-summary";
import { Card } from "@/app/_components/ui/card";
import { DemographicsEditor } from "./demographics-editor";
import { EntryEventEditor } from "./entry-event-editor";
import { InlineIssues } from "./issues";
import { RulesList } from "./rules-list";

/** The structured cohort: entry event, optional demographics, then ordered inclusion rules. No SQL anywhere. */
export function CohortBuilder({
  cohort,
  onChange,
}: {
  cohort: CohortDefinition;
  onChange: (next: CohortDefinition) => void;
}) {
  const hasAtlasSettings =
    !!cohort.extraEntries?.length ||
    !!cohort.observationWindow ||
    !!cohort.qualifyingCriteria ||
    (cohort.entryLimit ?? "first") !== "first" ||
    (cohort.expressionLimit ?? "first") !== "first" ||
    eventCriteriaOf(cohort).some(
      (c) => c.type !== "imaging" && (c.nested || c.sourceConcepts || c.startDate || c.endDate),
    );
  return (
    <div className="space-y-4">
      <InlineIssues path={[]} />
      {hasAtlasSettings ? (
        <Card title="As imported from ATLAS">
          <p className="mb-3 text-sm text-slate-600">
            This definition uses settings the builder below does not edit (further entry events, observation window,
            event limits, criteria on the entry event, criteria nested in a criterion, source codes, calendar dates).
            They are kept as they are and sites apply them.
          </p>
          <CohortSummary definition={cohort} />
        </Card>
      ) : null}
      <Card title="1. Entry event">
        <p className="mb-3 text-sm text-slate-600">
          Each person’s first qualifying event is their index date; windows below count days from it.
        </p>
        <EntryEventEditor event={cohort.entry} onChange={(entry) => onChange({ ...cohort, entry })} />
      </Card>
      <Card title="2. Demographics at index">
        <DemographicsEditor
          value={cohort.demographics ?? {}}
          path={["demographics"]}
          onChange={(demographics) => {
            const { demographics: _old, ...rest } = cohort;
            onChange(Object.keys(demographics).length ? { ...rest, demographics } : rest);
          }}
        />
      </Card>
      <Card title="3. Inclusion rules">
        <RulesList
          rules={cohort.inclusionRules}
          onChange={(inclusionRules) => onChange({ ...cohort, inclusionRules })}
        />
      </Card>
    </div>
  );
}
