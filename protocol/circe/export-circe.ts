import type { CohortDefinition, ConceptRef, CriteriaGroup, EventCriterion } from "../cohort-definition";

/**
 * The portal's cohort definition as Circe JSON that ATLAS opens (Cohort Definitions > Import).
 * Concept sets are shared: identical concept lists become one Circe concept set. What Circe cannot
 * express (imaging criteria) is refused with the path of the element.
 */
export type CirceExport =
  { ok: true; json: Record<string, unknown>; notes: string[] } | { ok: false; path: string; message: string };

type Item = CriteriaGroup["items"][number];
type RuleItem = Extract<Item, { kind: "criterion" }>;
type Window = NonNullable<RuleItem["window"]>;
type Concepts = ConceptRef[];

const DOMAINS = {
  condition: ["ConditionOccurrence", "ConditionType", "ConditionSourceConcept"],
  drug: ["DrugExposure", "DrugType", "DrugSourceConcept"],
  procedure: ["ProcedureOccurrence", "ProcedureType", "ProcedureSourceConcept"],
  visit: ["VisitOccurrence", "VisitType", "VisitSourceConcept"],
  device: ["DeviceExposure", "DeviceType", "DeviceSourceConcept"],
  measurement: ["Measurement", "MeasurementType", "MeasurementSourceConcept"],
  observation: ["Observation", "ObservationType", "ObservationSourceConcept"],
  death: ["Death", "DeathType", "DeathSourceConcept"],
  conditionEra: ["ConditionEra", undefined, undefined],
  drugEra: ["DrugEra", undefined, undefined],
} as const;

class Unexportable extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export function exportCirce(definition: CohortDefinition): CirceExport {
  const sets: { id: number; key: string; concepts: Concepts }[] = [];
  const codeset = (concepts: Concepts): number => {
    const key = JSON.stringify([...concepts].sort((a, b) => a.conceptId - b.conceptId));
    const found = sets.find((s) => s.key === key);
    if (found) return found.id;
    sets.push({ id: sets.length, key, concepts });
    return sets.length - 1;
  };
  const criterion = (c: EventCriterion, path: string): Record<string, unknown> => {
    if (c.type === "imaging")
      throw new Unexportable(
        path,
        "imaging criteria (MI-CDM) have no Circe equivalent, so ATLAS cannot open this definition",
      );
    const [domain, typeKey, sourceKey] = DOMAINS[c.type];
    const isEra = c.type === "conditionEra" || c.type === "drugEra";
    const body: Record<string, unknown> = typeKey ? { [`${typeKey}Exclude`]: false } : {};
    if (c.concepts) body.CodesetId = codeset(c.concepts);
    if (c.sourceConcepts && sourceKey) body[sourceKey] = codeset(c.sourceConcepts);
    if ("first" in c && c.first) body.First = true;
    if ((c.type === "measurement" || c.type === "observation") && c.value)
      Object.assign(body, valueOf(c.value, `${path}.value`));
    const { Age, ...gender } = personOf(c);
    Object.assign(body, gender, Age ? { [isEra ? "AgeAtStart" : "Age"]: Age } : {});
    if (isEra && c.eraDays) body.EraLength = rangeOf(c.eraDays);
    if (isEra && c.eraCount) body.OccurrenceCount = rangeOf(c.eraCount);
    if (c.startDate) body[isEra ? "EraStartDate" : "OccurrenceStartDate"] = dateRangeOf(c.startDate);
    if (c.endDate) body[isEra ? "EraEndDate" : "OccurrenceEndDate"] = dateRangeOf(c.endDate);
    // Nested criteria always count inside the event's observation period, as in Circe.
    if (c.nested) body.CorrelatedCriteria = group(c.nested, `${path}.nested`, true);
    return { [domain]: body };
  };
  const inObservation = definition.observationWindow !== undefined;
  const group = (g: CriteriaGroup, path: string, isNested = false): Record<string, unknown> => {
    const items = g.items.map((item, i) => ({ item, path: `${path}.items.${i}` }));
    return {
      Type: { AND: "ALL", OR: "ANY", AT_LEAST: "AT_LEAST", AT_MOST: "AT_MOST" }[g.operator],
      ...(g.count !== undefined ? { Count: g.count } : {}),
      CriteriaList: items
        .filter(({ item }) => item.kind === "criterion")
        .map(({ item, path: p }) => windowed(item as RuleItem, p, isNested)),
      DemographicCriteriaList: items
        .filter(({ item }) => item.kind === "demographics")
        .map(({ item }) => demographicsOf((item as Extract<Item, { kind: "demographics" }>).demographics)),
      Groups: items
        .filter(({ item }) => item.kind === "group")
        .map(({ item, path: p }) => group(item as CriteriaGroup, p, isNested)),
    };
  };
  const windowed = (item: RuleItem, path: string, isNested: boolean): Record<string, unknown> => {
    const occurrence = item.exclude
      ? { Type: 0, Count: 0 }
      : item.occurrence
        ? { Type: { exactly: 0, atMost: 1, atLeast: 2 }[item.occurrence.type], Count: item.occurrence.count }
        : { Type: 2, Count: 1 };
    return {
      Criteria: criterion(item.criterion, `${path}.criterion`),
      StartWindow: windowOf(item.window, false),
      ...(item.endWindow ? { EndWindow: windowOf(item.endWindow, true) } : {}),
      RestrictVisit: !!item.sameVisit,
      // Without an observation window the portal never consults observation periods.
      IgnoreObservationPeriod: (!inObservation && !isNested) || !!item.ignoreObservationPeriod,
      Occurrence: { ...occurrence, IsDistinct: !!item.occurrence?.isDistinct },
    };
  };

  try {
    const qualifying: Record<string, unknown>[] = [];
    if (definition.demographics && Object.keys(definition.demographics).length > 0)
      qualifying.push({
        Type: "ALL",
        CriteriaList: [],
        DemographicCriteriaList: [demographicsOf(definition.demographics)],
        Groups: [],
      });
    if (definition.qualifyingCriteria) qualifying.push(group(definition.qualifyingCriteria, "qualifyingCriteria"));
    // Circe applies the qualified limit only when AdditionalCriteria are present: an empty group says so.
    const emptyGroup = { Type: "ALL", CriteriaList: [], DemographicCriteriaList: [], Groups: [] };
    if (qualifying.length === 0 && (definition.qualifiedLimit ?? "first") !== "all") qualifying.push(emptyGroup);
    const entries = [definition.entry, ...(definition.extraEntries ?? [])];
    const limit = (l: string | undefined) => ({ Type: { first: "First", last: "Last", all: "All" }[l ?? "first"] });
    const json: Record<string, unknown> = {
      PrimaryCriteria: {
        CriteriaList: entries.map((c, i) => criterion(c, i === 0 ? "entry" : `extraEntries.${i - 1}`)),
        ObservationWindow: {
          PriorDays: definition.observationWindow?.priorDays ?? 0,
          PostDays: definition.observationWindow?.postDays ?? 0,
        },
        PrimaryCriteriaLimit: limit(definition.entryLimit),
      },
      ...(qualifying.length === 0
        ? {}
        : {
            AdditionalCriteria: qualifying.length === 1 ? qualifying[0] : { ...emptyGroup, Groups: qualifying },
          }),
      QualifiedLimit: limit(definition.qualifiedLimit),
      ExpressionLimit: limit(definition.expressionLimit),
      InclusionRules: definition.inclusionRules.map((rule, i) => ({
        name: rule.name,
        expression: group(rule.group, `inclusionRules.${i}.group`),
      })),
      CensoringCriteria: [],
      CollapseSettings: { CollapseType: "ERA", EraPad: 0 },
      CensorWindow: {},
    };
    json.ConceptSets = sets.map((s) => ({
      id: s.id,
      name: s.concepts
        .map((c) => c.name ?? `Concept ${c.conceptId}`)
        .join(", ")
        .slice(0, 255),
      expression: {
        items: s.concepts.map((c) => ({
          concept: { CONCEPT_ID: c.conceptId, CONCEPT_NAME: c.name ?? "" },
          isExcluded: c.isExcluded,
          includeDescendants: c.includeDescendants,
          includeMapped: c.includeMapped,
        })),
      },
    }));
    const notes = definition.observationWindow
      ? []
      : [
          "ATLAS always requires entry events inside an observation period; this definition does not, so ATLAS may count fewer persons.",
        ];
    return { ok: true, json: { ConceptSets: json.ConceptSets, ...json }, notes };
  } catch (error) {
    if (error instanceof Unexportable) return { ok: false, path: error.path, message: error.message };
    throw error;
  }
}

function windowOf(window: Window | undefined, isEnd: boolean): Record<string, unknown> {
  const endpoint = (days: number | undefined, isUpper: boolean) =>
    days === undefined ? { Coeff: isUpper ? 1 : -1 } : { Days: Math.abs(days), Coeff: days < 0 ? -1 : 1 };
  return {
    Start: endpoint(window?.startDays, false),
    End: endpoint(window?.endDays, true),
    UseIndexEnd: !!window?.useIndexEnd,
    UseEventEnd: (window?.eventDate ?? (isEnd ? "end" : "start")) === "end",
  };
}

/** Calendar dates, both inclusive, as Circe's DateRange. */
function dateRangeOf({ from, to }: { from?: string; to?: string }): Record<string, unknown> {
  if (from !== undefined && to !== undefined)
    return from === to ? { Value: from, Op: "eq" } : { Value: from, Extent: to, Op: "bt" };
  return from !== undefined ? { Value: from, Op: "gte" } : { Value: to, Op: "lte" };
}

function valueOf(
  value: NonNullable<Extract<EventCriterion, { type: "measurement" }>["value"]>,
  path: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const { min, max } = value;
  if (min !== undefined && max !== undefined && !value.isMinExclusive && !value.isMaxExclusive)
    out.ValueAsNumber = min === max ? { Value: min, Op: "eq" } : { Value: min, Extent: max, Op: "bt" };
  else if (min !== undefined && max !== undefined)
    throw new Unexportable(path, "Circe has no range with a strict bound on both ends; make one bound inclusive");
  else if (min !== undefined) out.ValueAsNumber = { Value: min, Op: value.isMinExclusive ? "gt" : "gte" };
  else if (max !== undefined) out.ValueAsNumber = { Value: max, Op: value.isMaxExclusive ? "lt" : "lte" };
  const units = [...(value.unitConceptId !== undefined ? [value.unitConceptId] : []), ...(value.unitConceptIds ?? [])];
  if (units.length > 0) out.Unit = units.map((id) => ({ CONCEPT_ID: id }));
  if (value.valueConceptIds) out.ValueAsConcept = value.valueConceptIds.map((id) => ({ CONCEPT_ID: id }));
  return out;
}

function demographicsOf(d: NonNullable<CohortDefinition["demographics"]>): Record<string, unknown> {
  return personOf({ age: d.ageAtIndex, sex: d.sex });
}

/** Circe's Age and Gender, on demographic criteria (age at index) and on a criterion (age at the event). */
function personOf({ age, sex }: { age?: { min?: number; max?: number }; sex?: readonly ("male" | "female")[] }) {
  const out: Record<string, unknown> = {};
  if (age && rangeOf(age)) out.Age = rangeOf(age);
  if (sex) out.Gender = sex.map((s) => ({ CONCEPT_ID: s === "male" ? 8507 : 8532 }));
  return out;
}

/** Inclusive bounds as Circe's NumericRange. */
function rangeOf({ min, max }: { min?: number; max?: number }): Record<string, unknown> | undefined {
  if (min !== undefined && max !== undefined) return { Value: min, Extent: max, Op: "bt" };
  if (min !== undefined) return { Value: min, Op: "gte" };
  if (max !== undefined) return { Value: max, Op: "lte" };
  return undefined;
}
