import { z } from "zod";

/**
 * A cohort definition: a versioned, structured document (never SQL) validated by this one schema
 * in the browser, at the hub and at the site. Every string in it is a label or a bound value; the
 * site compiles it to parameterised SQL against OMOP CDM 5.3 or 5.4 standard tables. Version 1
 * grew optional fields (occurrence counts, observation windows, event limits, observation, device
 * and death criteria) whose absence keeps the original meaning, so stored definitions stay valid.
 */
export const COHORT_DEFINITION_VERSION = 1;

export const COHORT_LIMITS = {
  maxRules: 50,
  maxGroupDepth: 4,
  maxCriteria: 60,
  maxConceptsPerSet: 2000,
  maxJsonBytes: 262_144,
  maxEntryEvents: 40,
  maxOccurrences: 1000,
  maxWindowDays: 36_500,
} as const;

export const MODALITIES = ["CT", "MR", "XR", "US"] as const;
export const SEXES = ["male", "female"] as const;

const ZLabel = z.string().trim().min(1).max(120);

export const ZConceptRef = z.strictObject({
  conceptId: z.number().int().positive(),
  /** Display only; never reaches SQL. */
  name: z.string().max(255).optional(),
  includeDescendants: z.boolean().default(true),
  isExcluded: z.boolean().default(false),
  includeMapped: z.boolean().default(false),
});

export const ZConceptSet = z
  .array(ZConceptRef)
  .min(1, "Pick at least one concept")
  .max(COHORT_LIMITS.maxConceptsPerSet);

const ZRange = (min: number, max: number) =>
  z
    .strictObject({ min: z.number().min(min).max(max).optional(), max: z.number().min(min).max(max).optional() })
    .refine(
      (r) => r.min === undefined || r.max === undefined || r.min <= r.max,
      "The lower bound must not exceed the upper bound",
    );

const ZConceptIds = z.array(z.number().int().nonnegative()).min(1).max(COHORT_LIMITS.maxConceptsPerSet);

export const ZValueRange = z
  .strictObject({
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    /** Strict bounds (ATLAS's "greater than" / "less than"); omitted means inclusive. */
    isMinExclusive: z.boolean().optional(),
    isMaxExclusive: z.boolean().optional(),
    /** OMOP unit concept, e.g. 8842 ng/mL; a value in another unit does not match. */
    unitConceptId: z.number().int().positive().optional(),
    /** Any of these units (ATLAS lists several); combined with unitConceptId when both are given. */
    unitConceptIds: ZConceptIds.optional(),
    /** The categorical result (value_as_concept_id) must be one of these, e.g. 45884084 "Positive". */
    valueConceptIds: ZConceptIds.optional(),
  })
  .refine(
    (r) => r.min === undefined || r.max === undefined || r.min <= r.max,
    "The lower bound must not exceed the upper bound",
  );

/** True: only the person's first such event in their whole record (ATLAS "first occurrence"). */
const first = z.boolean().optional();
/**
 * Who the event happened to (ATLAS's Age and Gender on a criterion): age in calendar years at the
 * event's start, and recorded sex. Checked after `first`: "the first diagnosis, if made as an adult".
 */
const ZSexes = z.array(z.enum(SEXES)).min(1).max(2);
const person = { age: ZRange(0, 130).optional(), sex: ZSexes.optional() };

const ZIsoDate = z.iso.date("Enter a date as YYYY-MM-DD");
/** Calendar dates, both inclusive (ATLAS's OccurrenceStartDate / OccurrenceEndDate); an omitted end is open. */
export const ZDateRange = z
  .strictObject({ from: ZIsoDate.optional(), to: ZIsoDate.optional() })
  .refine((r) => r.from !== undefined || r.to !== undefined, "Give a first or a last date")
  .refine(
    (r) => r.from === undefined || r.to === undefined || r.from <= r.to,
    "The first date must not be after the last",
  );

/**
 * What every event criterion but imaging may carry besides its concepts. Without `concepts`, any
 * event of the domain counts (ATLAS's criterion without a concept set: "any visit").
 * `sourceConcepts`: the record's SOURCE concept (e.g. an ICD-10 or OPCS-4 code) is in this set.
 * `startDate` / `endDate`: the event's start / end date (as `end` in ../workers/cdm/event-sources)
 * lies in these calendar dates. `nested`: criteria relative to THIS event (ATLAS's criteria nested
 * in a criterion), evaluated with the event as index date: the event must lie in an observation
 * period, and nested events count inside that period unless they ignore it.
 */
function withExtras<T extends z.ZodRawShape>(shape: T, hasSourceConcepts = true) {
  // A getter, so that the recursive group is looked up when parsing, not while this module loads.
  return Object.defineProperty(
    {
      ...shape,
      ...(hasSourceConcepts ? { sourceConcepts: ZConceptSet.optional() } : {}),
      startDate: ZDateRange.optional(),
      endDate: ZDateRange.optional(),
    },
    "nested",
    { get: () => ZCriteriaGroup.optional(), enumerable: true },
  );
}
const concepts = ZConceptSet.optional();
const era = { eraDays: ZRange(0, 1_000_000).optional(), eraCount: ZRange(0, 1_000_000).optional() };

/** Something that happens to a person on a date: usable as the entry event or inside a rule. */
export const ZEventCriterion = z.discriminatedUnion("type", [
  z.strictObject(withExtras({ type: z.literal("condition"), concepts, first, ...person })),
  z.strictObject(withExtras({ type: z.literal("procedure"), concepts, first, ...person })),
  z.strictObject(withExtras({ type: z.literal("drug"), concepts, first, ...person })),
  z.strictObject(withExtras({ type: z.literal("visit"), concepts, first, ...person })),
  z.strictObject(withExtras({ type: z.literal("device"), concepts, first, ...person })),
  z.strictObject(
    withExtras({ type: z.literal("measurement"), concepts, value: ZValueRange.optional(), first, ...person }),
  ),
  z.strictObject(
    withExtras({ type: z.literal("observation"), concepts, value: ZValueRange.optional(), first, ...person }),
  ),
  /**
   * Condition and drug eras (OHDSI's derived condition_era / drug_era): `eraDays` bounds the era's
   * length (end minus start, in days), `eraCount` the records it joins; `age` is at its start.
   */
  z.strictObject(withExtras({ type: z.literal("conditionEra"), concepts, first, ...era, ...person }, false)),
  z.strictObject(withExtras({ type: z.literal("drugEra"), concepts, first, ...era, ...person }, false)),
  /** Death; with concepts, only deaths whose cause is one of them. */
  z.strictObject(withExtras({ type: z.literal("death"), concepts, ...person })),
  z.strictObject({ type: z.literal("imaging"), modality: z.enum(MODALITIES) }),
]) as unknown as z.ZodType<EventCriterion, EventCriterionInput>;

export type ConceptRef = z.output<typeof ZConceptRef>;
type ValueRange = z.output<typeof ZValueRange>;
type DateRange = z.output<typeof ZDateRange>;
type Bounds = { min?: number; max?: number };
type EventBase<Ref, Group> = {
  concepts?: Ref[];
  sourceConcepts?: Ref[];
  age?: { min?: number; max?: number };
  sex?: (typeof SEXES)[number][];
  startDate?: DateRange;
  endDate?: DateRange;
  nested?: Group;
};
type EventOf<Ref, Group> =
  | ({ type: "condition" | "procedure" | "drug" | "visit" | "device"; first?: boolean } & EventBase<Ref, Group>)
  | ({ type: "measurement" | "observation"; value?: ValueRange; first?: boolean } & EventBase<Ref, Group>)
  | ({ type: "conditionEra" | "drugEra"; first?: boolean; eraDays?: Bounds; eraCount?: Bounds } & EventBase<Ref, Group>)
  | ({ type: "death" } & EventBase<Ref, Group>)
  | { type: "imaging"; modality: (typeof MODALITIES)[number] };
/** One member per type, so that `Extract<EventCriterion, { type: "measurement" }>` works. */
type Split<E> = E extends { type: infer T } ? (T extends unknown ? Omit<E, "type"> & { type: T } : never) : never;
export type EventCriterion = Split<EventOf<ConceptRef, CriteriaGroup>>;
type EventCriterionInput = Split<EventOf<z.input<typeof ZConceptRef>, unknown>>;

const ZDays = z.number().int().min(-COHORT_LIMITS.maxWindowDays).max(COHORT_LIMITS.maxWindowDays);

/** Days relative to the index date (the entry event); negative is before it; an omitted end is unbounded. */
export const ZWindow = z
  .strictObject({
    startDays: ZDays.optional(),
    endDays: ZDays.optional(),
    /** Count the days from the index event's END date (ATLAS's UseIndexEnd); omitted: its start. */
    useIndexEnd: z.boolean().optional(),
    /** Which date of the event must lie in the window; omitted: its start (`window`) or its end (`endWindow`). */
    eventDate: z.enum(["start", "end"]).optional(),
  })
  .refine(
    (w) => w.startDays === undefined || w.endDays === undefined || w.startDays <= w.endDays,
    "The window must start before it ends",
  );

/** How many qualifying events a person must have; `exclude` is the same as exactly 0. */
export const ZOccurrence = z.strictObject({
  type: z.enum(["atLeast", "atMost", "exactly"]),
  count: z.number().int().min(0).max(COHORT_LIMITS.maxOccurrences),
  /** Count distinct concepts rather than events (ATLAS's "using distinct"). */
  isDistinct: z.boolean().optional(),
});

/** Which of a person's qualifying events to keep (ATLAS's limits): the earliest, the latest or every one. */
export const ZEventLimit = z.enum(["first", "last", "all"]);

export const ZDemographics = z.strictObject({
  ageAtIndex: ZRange(0, 130).optional(),
  sex: ZSexes.optional(),
});

export const ZRuleCriterion = z.strictObject({
  kind: z.literal("criterion"),
  criterion: ZEventCriterion,
  /** Omitted: any time in the person's record. */
  window: ZWindow.optional(),
  /** True: the person must have NO such event (in the window). */
  exclude: z.boolean().default(false),
  /** Omitted: at least one. Not together with `exclude`. */
  occurrence: ZOccurrence.optional(),
  /** The event's END date must lie in this window too (ATLAS's EndWindow). */
  endWindow: ZWindow.optional(),
  /** With an observation window, rule events count only inside the index's observation period unless this is true. */
  ignoreObservationPeriod: z.boolean().optional(),
  /** The event must belong to the same visit as the index event (ATLAS's RestrictVisit). */
  sameVisit: z.boolean().optional(),
});

export const ZRuleDemographics = z.strictObject({ kind: z.literal("demographics"), demographics: ZDemographics });

/**
 * AND: every item; OR: any item; AT_LEAST / AT_MOST: at least / at most `count` of the items (ATLAS's
 * group types), each item counting once whether it is a criterion, demographics or a group.
 */
export type CriteriaGroup = {
  kind: "group";
  operator: "AND" | "OR" | "AT_LEAST" | "AT_MOST";
  count?: number;
  items: (z.infer<typeof ZRuleCriterion> | z.infer<typeof ZRuleDemographics> | CriteriaGroup)[];
};

export const ZCriteriaGroup: z.ZodType<CriteriaGroup, unknown> = z.strictObject({
  kind: z.literal("group"),
  operator: z.enum(["AND", "OR", "AT_LEAST", "AT_MOST"]),
  count: z.number().int().min(0).max(COHORT_LIMITS.maxCriteria).optional(),
  get items() {
    return z
      .array(z.union([ZRuleCriterion, ZRuleDemographics, ZCriteriaGroup]))
      .min(1, "A group needs at least one criterion")
      .max(COHORT_LIMITS.maxCriteria);
  },
}) as unknown as z.ZodType<CriteriaGroup, unknown>;

export const ZInclusionRule = z.strictObject({ name: ZLabel, group: ZCriteriaGroup });

type GroupItem = CriteriaGroup["items"][number];
const nestedOf = (item: GroupItem): CriteriaGroup | undefined =>
  item.kind === "criterion" && item.criterion.type !== "imaging" ? item.criterion.nested : undefined;

/** Groups nest through groups and through criteria nested in a criterion. */
function depthOf(group: CriteriaGroup): number {
  const below = (item: GroupItem): number => {
    const inner = item.kind === "group" ? item : nestedOf(item);
    return inner ? depthOf(inner) : 0;
  };
  return 1 + Math.max(0, ...group.items.map(below));
}

function criteriaIn(group: CriteriaGroup): number {
  return group.items.reduce((n, item) => {
    if (item.kind === "group") return n + criteriaIn(item);
    const nested = nestedOf(item);
    return n + 1 + (nested ? criteriaIn(nested) : 0);
  }, 0);
}

/** Every event criterion of a definition: entry events, qualifying criteria, inclusion rules, and those nested in them. */
export function eventCriteriaOf(definition: CohortDefinition): EventCriterion[] {
  const withNested = (criterion: EventCriterion): EventCriterion[] => [
    criterion,
    ...(criterion.type !== "imaging" && criterion.nested ? inGroup(criterion.nested) : []),
  ];
  const inGroup = (group: CriteriaGroup): EventCriterion[] =>
    group.items.flatMap((item) =>
      item.kind === "group" ? inGroup(item) : item.kind === "criterion" ? withNested(item.criterion) : [],
    );
  return [
    ...[definition.entry, ...(definition.extraEntries ?? [])].flatMap(withNested),
    ...(definition.qualifyingCriteria ? inGroup(definition.qualifyingCriteria) : []),
    ...definition.inclusionRules.flatMap((rule) => inGroup(rule.group)),
  ];
}

export const ZCohortDefinition = z
  .strictObject({
    version: z.literal(COHORT_DEFINITION_VERSION),
    /** The first qualifying event per person sets their index date (see entryLimit). */
    entry: ZEventCriterion,
    /** Further entry events: a person also enters on any of these (ATLAS's primary criteria list). */
    extraEntries: z.array(ZEventCriterion).max(COHORT_LIMITS.maxEntryEvents).optional(),
    /**
     * Entry events must lie in an observation period with at least this many days observed before
     * and after them; rule events then count only inside that period. Omitted: periods are not consulted.
     */
    observationWindow: z
      .strictObject({
        priorDays: z.number().int().min(0).max(COHORT_LIMITS.maxWindowDays),
        postDays: z.number().int().min(0).max(COHORT_LIMITS.maxWindowDays),
      })
      .optional(),
    /** Which entry events per person enter (default first). */
    entryLimit: ZEventLimit.optional(),
    /** Entry events must also meet this group (ATLAS's additional criteria), before qualifiedLimit. */
    qualifyingCriteria: ZCriteriaGroup.optional(),
    /** Which qualifying events per person remain (default first). */
    qualifiedLimit: ZEventLimit.optional(),
    /** Of the events that pass every inclusion rule, which is the person's index event (default first). */
    expressionLimit: ZEventLimit.optional(),
    demographics: ZDemographics.optional(),
    /** Applied in order; attrition reports the count remaining after each. */
    inclusionRules: z.array(ZInclusionRule).max(COHORT_LIMITS.maxRules).default([]),
  })
  .superRefine((definition, ctx) => {
    if (JSON.stringify(definition).length > COHORT_LIMITS.maxJsonBytes) {
      ctx.addIssue({ code: "custom", message: `The definition is larger than ${COHORT_LIMITS.maxJsonBytes} bytes` });
    }
    let total = 0;
    const groups: [CriteriaGroup, PropertyKey[]][] = definition.inclusionRules.map((rule, i) => [
      rule.group,
      ["inclusionRules", i, "group"],
    ]);
    if (definition.qualifyingCriteria) groups.push([definition.qualifyingCriteria, ["qualifyingCriteria"]]);
    [definition.entry, ...(definition.extraEntries ?? [])].forEach((entry, i) => {
      if (entry.type !== "imaging" && entry.nested)
        groups.push([entry.nested, i === 0 ? ["entry", "nested"] : ["extraEntries", i - 1, "nested"]]);
    });
    for (const [group, path] of groups) {
      if (depthOf(group) > COHORT_LIMITS.maxGroupDepth) {
        ctx.addIssue({ code: "custom", path, message: `Groups may nest at most ${COHORT_LIMITS.maxGroupDepth} deep` });
      }
      total += criteriaIn(group);
      checkOccurrences(group, path, ctx);
    }
    if (total > COHORT_LIMITS.maxCriteria)
      ctx.addIssue({
        code: "custom",
        path: ["inclusionRules"],
        message: `At most ${COHORT_LIMITS.maxCriteria} criteria in all`,
      });
  });
export type CohortDefinition = z.infer<typeof ZCohortDefinition>;
export type CohortDefinitionInput = z.input<typeof ZCohortDefinition>;

function checkOccurrences(group: CriteriaGroup, path: PropertyKey[], ctx: z.RefinementCtx): void {
  const isCounted = group.operator === "AT_LEAST" || group.operator === "AT_MOST";
  if (isCounted !== (group.count !== undefined))
    ctx.addIssue({
      code: "custom",
      path: [...path, "count"],
      message: isCounted ? "Say how many of the items must match" : "A count goes only with 'at least' or 'at most'",
    });
  group.items.forEach((item, i) => {
    if (item.kind === "group") checkOccurrences(item, [...path, "items", i], ctx);
    const nested = nestedOf(item);
    if (nested) checkOccurrences(nested, [...path, "items", i, "criterion", "nested"], ctx);
    if (item.kind === "criterion" && item.exclude && item.occurrence)
      ctx.addIssue({
        code: "custom",
        path: [...path, "items", i, "occurrence"],
        message: "Either exclude or an occurrence count, not both",
      });
  });
}
