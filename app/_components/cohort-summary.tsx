import type { ReactNode } from "react";
import type { CohortDefinition, CriteriaGroup, EventCriterion } from "@/protocol/cohort-definition";

/** A cohort definition in plain English, for researchers checking their work and approvers reviewing it. */

type Concept = { conceptId: number; name?: string; includeDescendants?: boolean; isExcluded?: boolean };
type Demographics = NonNullable<CohortDefinition["demographics"]>;
type GroupItem = CriteriaGroup["items"][number];
type Window = { startDays?: number; endDays?: number; useIndexEnd?: boolean; eventDate?: "start" | "end" };
type RuleItem = Extract<GroupItem, { kind: "criterion" }>;

const EVENT_NOUNS: Record<Exclude<EventCriterion["type"], "imaging">, string> = {
  condition: "diagnosis",
  procedure: "procedure",
  drug: "drug exposure",
  visit: "visit",
  measurement: "measurement",
  observation: "observation",
  device: "device exposure",
  death: "death",
  conditionEra: "condition era",
  drugEra: "drug era",
};

const MODALITY_NAMES: Record<string, string> = { CT: "CT", MR: "MRI", XR: "X-ray", US: "ultrasound" };

const numberFormat = new Intl.NumberFormat("en-GB");

function conceptLabel(concept: Concept): string {
  const name = concept.name?.trim() ? concept.name.trim() : `concept ${concept.conceptId}`;
  return concept.includeDescendants === false ? name : `${name} (incl. descendants)`;
}

/** "A; B, except C": excluded items (and, where asked, their descendants) come off the set. */
function conceptList(concepts: Concept[]): string {
  const included = concepts.filter((c) => !c.isExcluded).map(conceptLabel);
  const excluded = concepts.filter((c) => c.isExcluded).map(conceptLabel);
  return included.join("; ") + (excluded.length ? `, except ${excluded.join("; ")}` : "");
}

function rangeText(min: number | undefined, max: number | undefined, unit = ""): string {
  const u = unit ? ` ${unit}` : "";
  if (min !== undefined && max !== undefined) return `${numberFormat.format(min)}–${numberFormat.format(max)}${u}`;
  if (min !== undefined) return `at least ${numberFormat.format(min)}${u}`;
  if (max !== undefined) return `at most ${numberFormat.format(max)}${u}`;
  return "";
}

function measurementValueText(criterion: Extract<EventCriterion, { type: "measurement" | "observation" }>): string {
  const value = criterion.value;
  if (!value) return "";
  const unit = value.unitConceptId ? `(unit concept ${value.unitConceptId})` : "";
  const range = rangeText(value.min, value.max, unit);
  if (range) return ` with a value of ${range}`;
  return unit ? ` recorded in unit concept ${value.unitConceptId}` : "";
}

/** "diagnosis of: X" / "CT study": the event without any leading article or qualifier. */
function eventText(criterion: EventCriterion): string {
  if (criterion.type === "imaging") return `${MODALITY_NAMES[criterion.modality] ?? criterion.modality} study`;
  const source = criterion.sourceConcepts ? ` with a source code of: ${conceptList(criterion.sourceConcepts)}` : "";
  const extras = source + datesText(criterion) + personText(criterion) + (criterion.nested ? " (see below)" : "");
  if (criterion.type === "death")
    return (criterion.concepts ? `death with a cause of: ${conceptList(criterion.concepts)}` : "death") + extras;
  const first = criterion.first ? "first-ever " : "";
  const noun = EVENT_NOUNS[criterion.type];
  const base = criterion.concepts
    ? `${first}${noun} of: ${conceptList(criterion.concepts)}`
    : `${first}${noun} of any kind`;
  const withValue =
    criterion.type === "measurement" || criterion.type === "observation"
      ? base + measurementValueText(criterion)
      : criterion.type === "conditionEra" || criterion.type === "drugEra"
        ? base + eraText(criterion)
        : base;
  return withValue + extras;
}

/** ", lasting at least 30 days, of 2–5 records" for an era's length and count. */
function eraText(criterion: Extract<EventCriterion, { type: "conditionEra" | "drugEra" }>): string {
  const length = criterion.eraDays
    ? `, lasting ${rangeText(criterion.eraDays.min, criterion.eraDays.max, "days")}`
    : "";
  const count = criterion.eraCount
    ? `, of ${rangeText(criterion.eraCount.min, criterion.eraCount.max, "records")}`
    : "";
  return length + count;
}

/** ", starting on or after 1 Jan 2016" for a criterion's calendar dates. */
function datesText(criterion: Exclude<EventCriterion, { type: "imaging" }>): string {
  const range = (r: { from?: string; to?: string } | undefined, what: string) => {
    if (!r) return "";
    if (r.from !== undefined && r.to !== undefined)
      return r.from === r.to ? `, ${what} on ${r.from}` : `, ${what} between ${r.from} and ${r.to}`;
    return r.from !== undefined ? `, ${what} on or after ${r.from}` : `, ${what} on or before ${r.to}`;
  };
  return range(criterion.startDate, "starting") + range(criterion.endDate, "ending");
}

/** Criteria nested in an event: the event is their index date, and they count inside its observation period. */
function NestedView({ criterion }: { criterion: EventCriterion }) {
  if (criterion.type === "imaging" || !criterion.nested) return null;
  return (
    <div className="mt-1 ml-2 border-l-2 border-dashed border-slate-300 pl-3">
      <p className="text-xs text-slate-600">
        Only such events that, counting days from that event and within its observation period, meet:
      </p>
      <GroupView group={criterion.nested} />
    </div>
  );
}

/** ", in a person aged 18 or over, male" for a criterion's own age (at the event) and sex. */
function personText(criterion: Exclude<EventCriterion, { type: "imaging" }>): string {
  if (!criterion.age && !criterion.sex) return "";
  return `, in a person ${demographicsText({ ageAtIndex: criterion.age, sex: criterion.sex }, "at the event")}`;
}

const LIMIT_WORDS = { first: "First", last: "Last", all: "Every" } as const;

function entryText(definition: CohortDefinition): string {
  const events = [definition.entry, ...(definition.extraEntries ?? [])].map(eventText).join(", or ");
  const window = definition.observationWindow;
  const observed = window ? `, with ${days(window.priorDays)} observed before and ${days(window.postDays)} after` : "";
  return `${LIMIT_WORDS[definition.entryLimit ?? "first"]} ${events}${observed}`;
}

function days(n: number): string {
  return `${numberFormat.format(n)} ${Math.abs(n) === 1 ? "day" : "days"}`;
}

function relative(n: number): string {
  if (n === 0) return "0";
  return n < 0 ? `${days(-n)} before` : `${days(n)} after`;
}

function windowText(window: Window | undefined): string {
  if (!window) return "at any time";
  const { startDays: start, endDays: end } = window;
  if (start === undefined && end === undefined) return "at any time";
  const text = (() => {
    if (start === undefined) return `up to ${relative(end!)} index`;
    if (end === undefined) return `from ${relative(start)} index on`;
    if (start === end) return start === 0 ? "on the index date" : `exactly ${relative(start)} index`;
    if (end === 0 && start < 0) return `in the ${days(-start)} before index`;
    if (start === 0 && end > 0) return `within 0 to ${days(end)} after index`;
    if (start < 0 && end < 0) return `between ${days(-start)} and ${days(-end)} before index`;
    if (start > 0 && end > 0) return `between ${days(start)} and ${days(end)} after index`;
    return `from ${relative(start)} to ${relative(end)} index`;
  })();
  return window.useIndexEnd ? text.replace(/index( date)?/g, "index end") : text;
}

/** "starting in the 30 days before index, ending …": which of the event's dates each window holds. */
function windowsText(item: RuleItem): string {
  const start = item.window?.eventDate === "end" ? `ending ${windowText(item.window)}` : windowText(item.window);
  const end = item.endWindow
    ? `, ${item.endWindow.eventDate === "start" ? "starting" : "ending"} ${windowText(item.endWindow)}`
    : "";
  return start + end + (item.sameVisit ? ", in the index event's visit" : "");
}

function demographicsText(demographics: Demographics, when = "at index"): string {
  const parts: string[] = [];
  const age = demographics.ageAtIndex;
  if (age && (age.min !== undefined || age.max !== undefined)) {
    if (age.min !== undefined && age.max !== undefined) parts.push(`aged ${age.min}–${age.max} ${when}`);
    else if (age.min !== undefined) parts.push(`aged ${age.min} or over ${when}`);
    else parts.push(`aged ${age.max} or under ${when}`);
  }
  if (demographics.sex?.length) parts.push(demographics.sex.join(" or "));
  return parts.length ? parts.join("; ") : "any age or sex";
}

function itemText(item: Exclude<GroupItem, CriteriaGroup>): string {
  if (item.kind === "demographics") return `Is ${demographicsText(item.demographics)}`;
  const when = windowsText(item);
  const event = eventText(item.criterion);
  if (item.exclude) return `Has NO ${event} ${when}`;
  if (item.occurrence) return `Has ${occurrenceText(item.occurrence)} ${event} ${when}`;
  return `Has ${/^(?:[aeiou]|MRI|X-ray)/i.test(event) ? "an" : "a"} ${event} ${when}`;
}

function occurrenceText(occurrence: NonNullable<RuleItem["occurrence"]>): string {
  const words = { atLeast: "at least", atMost: "at most", exactly: "exactly" } as const;
  return `${words[occurrence.type]} ${numberFormat.format(occurrence.count)} ×`;
}

function groupHeading(group: CriteriaGroup): string {
  if (group.operator === "AT_LEAST") return `AT LEAST ${group.count ?? 0} of:`;
  if (group.operator === "AT_MOST") return `AT MOST ${group.count ?? 0} of:`;
  return group.operator === "AND" ? "ALL of:" : "ANY of:";
}

function GroupView({ group }: { group: CriteriaGroup }) {
  return (
    <div>
      <p className="text-sm font-medium text-slate-700">{groupHeading(group)}</p>
      <ul className="mt-1 space-y-1 border-l-2 border-slate-200 pl-3 sm:pl-4">
        {group.items.map((item, i) => (
          <li key={i} className="text-sm text-slate-800">
            {item.kind === "group" ? (
              <GroupView group={item} />
            ) : (
              <>
                <span className="break-words">{itemText(item)}</span>
                {item.kind === "criterion" ? <NestedView criterion={item.criterion} /> : null}
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="flex flex-col gap-0.5 sm:flex-row sm:gap-3">
      <dt className="shrink-0 text-sm font-medium text-slate-500 sm:w-32">{term}</dt>
      <dd className="min-w-0 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

export function CohortSummary({ definition }: { definition: CohortDefinition }) {
  const rules = definition.inclusionRules ?? [];
  return (
    <div className="space-y-3">
      <dl className="space-y-2">
        <Row term="Entry event">
          {entryText(definition)}
          {[definition.entry, ...(definition.extraEntries ?? [])].map((entry, i) => (
            <NestedView key={i} criterion={entry} />
          ))}
        </Row>
        <Row term="Demographics">
          {definition.demographics ? demographicsText(definition.demographics) : "Any age or sex"}
        </Row>
        {definition.qualifyingCriteria ? (
          <Row term="Entry also needs">
            <GroupView group={definition.qualifyingCriteria} />
            {definition.entryLimit === "all" ? (
              <p className="text-sm text-slate-700">
                Then keeps {LIMIT_WORDS[definition.qualifiedLimit ?? "first"].toLowerCase()} qualifying event per
                person.
              </p>
            ) : null}
          </Row>
        ) : null}
        {definition.expressionLimit && definition.expressionLimit !== "first" ? (
          <Row term="Index event">
            {definition.expressionLimit === "last" ? "The last" : "Every"} event that passes all inclusion rules
          </Row>
        ) : null}
      </dl>
      <div>
        <h3 className="text-sm font-medium text-slate-500">Inclusion rules</h3>
        {rules.length === 0 ? (
          <p className="mt-1 text-sm text-slate-700">None: everyone with the entry event is included.</p>
        ) : (
          <ol className="mt-1 space-y-3">
            {rules.map((rule, i) => (
              <li key={i} className="rounded-md border border-slate-200 bg-slate-50 p-3">
                <p className="mb-1 text-sm font-semibold text-slate-900">
                  {i + 1}. {rule.name}
                </p>
                <GroupView group={rule.group} />
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
