import type { z } from "zod";
import type { CriteriaGroup, EventCriterion, ZConceptSet, ZValueRange, ZWindow } from "../cohort-definition";
import { CirceRefusal, Reader, type CirceIssue } from "./reader";

/**
 * Circe criteria, windows and groups to the portal's cohort definition. Every element is either
 * translated exactly or refused with its JSON path and why; see import-circe.ts for the whole.
 */
type ConceptSet = z.input<typeof ZConceptSet>;
type Item = CriteriaGroup["items"][number];
type RuleCriterion = Extract<Item, { kind: "criterion" }>;
type Window = z.input<typeof ZWindow>;

export type ImportContext = {
  conceptSets: Map<number, ConceptSet>;
  notes: CirceIssue[];
  /** Window bounds beyond this many days are read as unbounded (with a note). */
  maxWindowDays: number;
};

const DOMAINS = {
  ConditionOccurrence: { type: "condition", typeKey: "ConditionType", sourceKey: "ConditionSourceConcept" },
  DrugExposure: { type: "drug", typeKey: "DrugType", sourceKey: "DrugSourceConcept" },
  ProcedureOccurrence: { type: "procedure", typeKey: "ProcedureType", sourceKey: "ProcedureSourceConcept" },
  VisitOccurrence: { type: "visit", typeKey: "VisitType", sourceKey: "VisitSourceConcept" },
  DeviceExposure: { type: "device", typeKey: "DeviceType", sourceKey: "DeviceSourceConcept" },
  Measurement: { type: "measurement", typeKey: "MeasurementType", sourceKey: "MeasurementSourceConcept" },
  Observation: { type: "observation", typeKey: "ObservationType", sourceKey: "ObservationSourceConcept" },
  Death: { type: "death", typeKey: "DeathType", sourceKey: "DeathSourceConcept" },
  ConditionEra: { type: "conditionEra", typeKey: undefined, sourceKey: undefined },
  DrugEra: { type: "drugEra", typeKey: undefined, sourceKey: undefined },
} as const;

const refuse = (path: string, message: string): never => {
  throw new CirceRefusal({ path, message });
};

/** `{ "ConditionOccurrence": {...} }` to an event criterion, and its CorrelatedCriteria when asked for. */
export function importCriterion(
  path: string,
  value: unknown,
  ctx: ImportContext,
  /** Returns true when it took the nested criteria itself. */
  onCorrelated?: (group: Reader) => boolean,
): EventCriterion {
  const wrapper = Reader.of(path, value);
  const keys = Object.keys(value as object);
  const domain = keys.find((key) => key in DOMAINS) as keyof typeof DOMAINS | undefined;
  if (!domain || keys.length !== 1)
    refuse(
      wrapper.at(keys[0] ?? "(empty)"),
      `${keys.join(", ") || "an empty criterion"} is not supported: the portal imports ${Object.keys(DOMAINS).join(", ")} criteria`,
    );
  const { type, typeKey, sourceKey } = DOMAINS[domain!];
  const r = wrapper.object(domain!)!;
  const codesetId = r.number("CodesetId");
  const first = r.boolean("First");
  // "Exclude" only inverts a list of types; without the list it changes nothing.
  if (typeKey && r.array(typeKey).length > 0)
    refuse(r.at(typeKey), `${typeKey} (a filter on the record's provenance type) is not supported by the portal`);
  if (typeKey) r.take(`${typeKey}Exclude`);
  const isEra = type === "conditionEra" || type === "drugEra";
  const correlated = r.object("CorrelatedCriteria");
  let nested: CriteriaGroup | undefined;
  if (correlated && !isEmptyGroup(correlated)) {
    // The caller may turn an entry event's nested criteria into qualifying criteria, which mean the same.
    if (onCorrelated?.(correlated) !== true) nested = importGroup(correlated, ctx);
  }
  const concepts = codesetId === undefined ? undefined : conceptSet(r.at("CodesetId"), codesetId, ctx);
  // Circe names the source concept set by its id, as a number.
  const sourceId = sourceKey ? r.number(sourceKey) : undefined;
  const sourceConcepts = sourceId === undefined ? undefined : conceptSet(r.at(sourceKey!), sourceId, ctx);
  const person = importPerson(r, isEra ? "AgeAtStart" : "Age");
  const startDate = importDateRange(r, isEra ? "EraStartDate" : "OccurrenceStartDate");
  const endDate = importDateRange(r, isEra ? "EraEndDate" : "OccurrenceEndDate");
  const eraDays = isEra ? inclusiveRange(r, "EraLength") : undefined;
  const eraCount = isEra ? inclusiveRange(r, "OccurrenceCount") : undefined;
  const range = type === "measurement" || type === "observation" ? valueRange(r) : undefined;
  const criterion = {
    type,
    ...(concepts ? { concepts } : {}),
    ...(sourceConcepts ? { sourceConcepts } : {}),
    ...(first && type !== "death" ? { first } : {}),
    ...(range ? { value: range } : {}),
    ...person,
    ...(eraDays ? { eraDays } : {}),
    ...(eraCount ? { eraCount } : {}),
    ...(startDate ? { startDate } : {}),
    ...(endDate ? { endDate } : {}),
    ...(nested ? { nested } : {}),
  } as EventCriterion;
  r.refuseRest(`a ${domain} criterion`);
  return criterion;
}

function conceptSet(path: string, id: number, ctx: ImportContext): ConceptSet {
  const set = ctx.conceptSets.get(id);
  if (!set) refuse(path, `concept set ${id} is not among ConceptSets`);
  if (set!.length === 0) refuse(path, `concept set ${id} is empty: it would match nothing`);
  return set!;
}

/**
 * Circe's DateRange (Value, Op, Extent; dates as YYYY-MM-DD) to calendar dates, both inclusive: a
 * strict bound on a whole date is the next or previous day exactly. "!bt" (outside) is refused.
 */
function importDateRange(r: Reader, key: string): { from?: string; to?: string } | undefined {
  const range = r.object(key);
  if (!range) return undefined;
  const op = range.string("Op");
  const value = isoDate(range, "Value");
  const extent = op === "bt" ? isoDate(range, "Extent") : undefined;
  if (op !== "bt") range.take("Extent");
  range.refuseRest("a date range");
  switch (op) {
    case "lt":
      return { to: addDays(value, -1) };
    case "lte":
      return { to: value };
    case "gt":
      return { from: addDays(value, 1) };
    case "gte":
      return { from: value };
    case "eq":
      return { from: value, to: value };
    case "bt":
      return value <= extent! ? { from: value, to: extent } : { from: extent, to: value };
    default:
      return refuse(
        range.at("Op"),
        `the operator ${JSON.stringify(op)} is not supported (lt, lte, eq, gt, gte, bt are)`,
      );
  }
}

function isoDate(r: Reader, key: string): string {
  const text = r.string(key);
  const date = text?.slice(0, 10);
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)))
    return refuse(r.at(key), "must be a date as YYYY-MM-DD");
  return date;
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function valueRange(r: Reader): z.input<typeof ZValueRange> | undefined {
  const range: z.input<typeof ZValueRange> = {};
  const numeric = r.object("ValueAsNumber");
  if (numeric) Object.assign(range, numericRange(numeric));
  const units = r.array("Unit").map(({ path, value }) => conceptId(path, value));
  if (units.length > 0) range.unitConceptIds = units;
  const values = r.array("ValueAsConcept").map(({ path, value }) => conceptId(path, value));
  if (values.length > 0) range.valueConceptIds = values;
  return Object.keys(range).length > 0 ? range : undefined;
}

function conceptId(path: string, value: unknown): number {
  const id = Reader.of(path, value).number("CONCEPT_ID");
  if (id === undefined || !Number.isInteger(id) || id < 0) refuse(`${path}.CONCEPT_ID`, "must be a concept id");
  return id!;
}

/** Circe's NumericRange: Op lt, lte, eq, gt, gte, bt (Value to Extent, inclusive); "!bt" is refused. */
export function numericRange(r: Reader): {
  min?: number;
  max?: number;
  isMinExclusive?: boolean;
  isMaxExclusive?: boolean;
} {
  const op = r.string("Op");
  const value = r.number("Value");
  const extent = r.number("Extent");
  r.refuseRest("a numeric range");
  if (value === undefined) refuse(r.at("Value"), "a numeric range needs a Value");
  switch (op) {
    case "lt":
      return { max: value, isMaxExclusive: true };
    case "lte":
      return { max: value };
    case "gt":
      return { min: value, isMinExclusive: true };
    case "gte":
      return { min: value };
    case "eq":
      return { min: value, max: value };
    case "bt":
      if (extent === undefined) refuse(r.at("Extent"), "a 'between' range needs an Extent");
      return { min: Math.min(value!, extent!), max: Math.max(value!, extent!) };
    default:
      return refuse(r.at("Op"), `the operator ${JSON.stringify(op)} is not supported (lt, lte, eq, gt, gte, bt are)`);
  }
}

export function isEmptyGroup(group: Reader): boolean {
  return ["CriteriaList", "DemographicCriteriaList", "Groups"].every((key) => group.lengthOf(key) === 0);
}

/**
 * A Circe criteria group (ALL / ANY / AT_LEAST n / AT_MOST n) to a portal group; undefined when it
 * holds no criteria, which Circe treats as met by every event. Such an empty sub-group still counts
 * as one met item of its parent, so ANY with one is always met and AT_LEAST / AT_MOST shift by one.
 */
export function importGroup(g: Reader, ctx: ImportContext): CriteriaGroup | undefined {
  const type = (g.string("Type") ?? "ALL").toUpperCase();
  const count = g.number("Count");
  let alwaysMet = 0;
  const items: Item[] = [
    ...g.array("CriteriaList").map(({ path, value }) => importCorrelated(Reader.of(path, value), ctx)),
    ...g.array("DemographicCriteriaList").map(({ path, value }) => importDemographics(Reader.of(path, value))),
    ...g.array("Groups").flatMap(({ path, value }) => {
      const nested = importGroup(Reader.of(path, value), ctx);
      if (!nested) alwaysMet++;
      return nested ? [nested] : [];
    }),
  ];
  g.refuseRest("a criteria group");
  if (items.length === 0) return undefined;
  if (type === "ALL") return { kind: "group", operator: "AND", items };
  if (type === "ANY") return alwaysMet > 0 ? undefined : { kind: "group", operator: "OR", items };
  if (type !== "AT_LEAST" && type !== "AT_MOST")
    return refuse(g.at("Type"), `a group of type ${type} is not supported (ALL, ANY, AT_LEAST and AT_MOST are)`);
  if (count === undefined || !Number.isInteger(count) || count < 0)
    return refuse(g.at("Count"), "must be a whole number of items");
  const needed = count - alwaysMet;
  if (type === "AT_LEAST") {
    if (needed <= 0) return undefined;
    if (needed === 1) return { kind: "group", operator: "OR", items };
    if (needed === items.length) return { kind: "group", operator: "AND", items };
    if (needed > items.length)
      return refuse(g.at("Count"), `at least ${count} of ${items.length + alwaysMet} items can never be met`);
    return { kind: "group", operator: "AT_LEAST", count: needed, items };
  }
  if (needed < 0)
    return refuse(
      g.at("Count"),
      `at most ${count} of the items, with ${alwaysMet} empty groups always met, is never met`,
    );
  if (needed >= items.length) return undefined;
  return { kind: "group", operator: "AT_MOST", count: needed, items };
}

function importCorrelated(c: Reader, ctx: ImportContext): RuleCriterion {
  const criterion = importCriterion(c.at("Criteria"), c.take("Criteria"), ctx);
  const window = importWindow(c.object("StartWindow"), "start", ctx);
  const endWindow = importWindow(c.object("EndWindow"), "end", ctx);
  const sameVisit = c.boolean("RestrictVisit");
  const ignoreObservationPeriod = c.boolean("IgnoreObservationPeriod");
  const occurrence = c.object("Occurrence");
  const item: RuleCriterion = { kind: "criterion", criterion, exclude: false };
  if (window) item.window = window;
  if (endWindow) item.endWindow = endWindow;
  if (ignoreObservationPeriod) item.ignoreObservationPeriod = true;
  if (sameVisit) item.sameVisit = true;
  if (occurrence) {
    const type = occurrence.number("Type");
    const count = occurrence.number("Count") ?? 0;
    const isDistinct = occurrence.boolean("IsDistinct") ?? false;
    const countColumn = occurrence.string("CountColumn");
    if (isDistinct && countColumn !== undefined && countColumn !== "DOMAIN_CONCEPT")
      refuse(occurrence.at("CountColumn"), `counting distinct ${countColumn} is not supported (distinct concepts are)`);
    occurrence.refuseRest("an occurrence");
    const kind = ({ 0: "exactly", 1: "atMost", 2: "atLeast" } as const)[type as 0 | 1 | 2];
    if (!kind) refuse(occurrence.at("Type"), "must be 0 (exactly), 1 (at most) or 2 (at least)");
    if (kind === "exactly" && count === 0 && !isDistinct) item.exclude = true;
    else if (!(kind === "atLeast" && count === 1))
      item.occurrence = { type: kind!, count, ...(isDistinct ? { isDistinct: true } : {}) };
  }
  c.refuseRest("a windowed criterion");
  return item;
}

function importWindow(w: Reader | undefined, which: "start" | "end", ctx: ImportContext): Window | undefined {
  if (!w) return undefined;
  const useIndexEnd = w.boolean("UseIndexEnd");
  // Circe reads a missing UseEventEnd on an end window as true.
  const useEventEnd = w.boolean("UseEventEnd") ?? which === "end";
  const eventDate = useEventEnd === (which === "end") ? undefined : useEventEnd ? "end" : "start";
  const startDays = endpoint(w.object("Start"), ctx);
  const endDays = endpoint(w.object("End"), ctx);
  w.refuseRest("a window");
  if (startDays === undefined && endDays === undefined) return undefined;
  return { startDays, endDays, ...(useIndexEnd ? { useIndexEnd } : {}), ...(eventDate ? { eventDate } : {}) };
}

function endpoint(e: Reader | undefined, ctx: ImportContext): number | undefined {
  if (!e) return undefined;
  const days = e.number("Days");
  const coeff = e.number("Coeff") ?? 1;
  e.refuseRest("a window endpoint");
  if (days === undefined) return undefined;
  if (coeff !== 1 && coeff !== -1) refuse(e.at("Coeff"), "must be -1 (before) or 1 (after)");
  if (!Number.isInteger(days) || days < 0) refuse(e.at("Days"), "must be a whole number of days");
  if (days > ctx.maxWindowDays) {
    ctx.notes.push({
      path: e.at("Days"),
      message: `${days} days is beyond the portal's ${ctx.maxWindowDays}-day limit; read as "any time" (no record spans that long)`,
    });
    return undefined;
  }
  return days === 0 ? 0 : coeff * days;
}

const GENDERS: Record<number, "male" | "female"> = { 8507: "male", 8532: "female" };

export function importDemographics(d: Reader): Extract<Item, { kind: "demographics" }> {
  const { age, sex } = importPerson(d);
  d.refuseRest("demographic criteria");
  return { kind: "demographics", demographics: { ...(age ? { ageAtIndex: age } : {}), ...(sex ? { sex } : {}) } };
}

/** A NumericRange over a whole number (years, days, records): strict bounds become inclusive ones exactly. */
function inclusiveRange(r: Reader, key: string): { min?: number; max?: number } | undefined {
  const at = r.object(key);
  if (!at) return undefined;
  const range = numericRange(at);
  const min =
    range.min === undefined ? undefined : range.isMinExclusive ? Math.floor(range.min) + 1 : Math.ceil(range.min);
  const max =
    range.max === undefined ? undefined : range.isMaxExclusive ? Math.ceil(range.max) - 1 : Math.floor(range.max);
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

/** Circe's Age (or an era's AgeAtStart) and Gender, on demographic criteria or on a criterion for age at the event. */
function importPerson(
  d: Reader,
  ageKey = "Age",
): { age?: { min?: number; max?: number }; sex?: ("male" | "female")[] } {
  const out: ReturnType<typeof importPerson> = {};
  const age = inclusiveRange(d, ageKey);
  if (age) out.age = age;
  const genders = d.array("Gender").map(({ path, value }) => {
    const id = conceptId(path, value);
    return GENDERS[id] ?? refuse(path, `gender concept ${id} is not supported (8507 male and 8532 female are)`);
  });
  if (genders.length > 0) out.sex = [...new Set(genders)];
  return out;
}
