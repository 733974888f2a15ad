import { z } from "zod";

/**
 * A cohort definition: a versioned, structured document (never SQL) validated by this one schema
 * in the browser, at the hub and at the site. Every string in it is a label or a bound value; the
 * site compiles it to parameterised SQL against OMOP CDM 5.4 standard tables.
 */
export const COHORT_DEFINITION_VERSION = 1;

export const COHORT_LIMITS = {
  maxRules: 20,
  maxGroupDepth: 4,
  maxCriteria: 60,
  maxConceptsPerSet: 200,
  maxJsonBytes: 32_768,
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

export const ZValueRange = z
  .strictObject({
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    /** OMOP unit concept, e.g. 8842 ng/mL; a value in another unit does not match. */
    unitConceptId: z.number().int().positive().optional(),
  })
  .refine(
    (r) => r.min === undefined || r.max === undefined || r.min <= r.max,
    "The lower bound must not exceed the upper bound",
  );

/** Something that happens to a person on a date: usable as the entry event or inside a rule. */
export const ZEventCriterion = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("condition"), concepts: ZConceptSet }),
  z.strictObject({ type: z.literal("procedure"), concepts: ZConceptSet }),
  z.strictObject({ type: z.literal("drug"), concepts: ZConceptSet }),
  z.strictObject({ type: z.literal("visit"), concepts: ZConceptSet }),
  z.strictObject({ type: z.literal("measurement"), concepts: ZConceptSet, value: ZValueRange.optional() }),
  z.strictObject({ type: z.literal("imaging"), modality: z.enum(MODALITIES) }),
]);
export type EventCriterion = z.infer<typeof ZEventCriterion>;

/** Days relative to the index date (the entry event); negative is before it. */
export const ZWindow = z
  .strictObject({
    startDays: z.number().int().min(-COHORT_LIMITS.maxWindowDays).max(COHORT_LIMITS.maxWindowDays),
    endDays: z.number().int().min(-COHORT_LIMITS.maxWindowDays).max(COHORT_LIMITS.maxWindowDays),
  })
  .refine((w) => w.startDays <= w.endDays, "The window must start before it ends");

export const ZDemographics = z.strictObject({
  ageAtIndex: ZRange(0, 130).optional(),
  sex: z.array(z.enum(SEXES)).min(1).max(2).optional(),
});

export const ZRuleCriterion = z.strictObject({
  kind: z.literal("criterion"),
  criterion: ZEventCriterion,
  /** Omitted: any time in the person's record. */
  window: ZWindow.optional(),
  /** True: the person must have NO such event (in the window). */
  exclude: z.boolean().default(false),
});

export const ZRuleDemographics = z.strictObject({ kind: z.literal("demographics"), demographics: ZDemographics });

export type CriteriaGroup = {
  kind: "group";
  operator: "AND" | "OR";
  items: (z.infer<typeof ZRuleCriterion> | z.infer<typeof ZRuleDemographics> | CriteriaGroup)[];
};

export const ZCriteriaGroup: z.ZodType<CriteriaGroup, unknown> = z.strictObject({
  kind: z.literal("group"),
  operator: z.enum(["AND", "OR"]),
  get items() {
    return z
      .array(z.union([ZRuleCriterion, ZRuleDemographics, ZCriteriaGroup]))
      .min(1, "A group needs at least one criterion")
      .max(COHORT_LIMITS.maxCriteria);
  },
}) as unknown as z.ZodType<CriteriaGroup, unknown>;

export const ZInclusionRule = z.strictObject({ name: ZLabel, group: ZCriteriaGroup });

function depthOf(group: CriteriaGroup): number {
  return 1 + Math.max(0, ...group.items.map((item) => (item.kind === "group" ? depthOf(item) : 0)));
}

function criteriaIn(group: CriteriaGroup): number {
  return group.items.reduce((n, item) => n + (item.kind === "group" ? criteriaIn(item) : 1), 0);
}

export const ZCohortDefinition = z
  .strictObject({
    version: z.literal(COHORT_DEFINITION_VERSION),
    /** The first qualifying event per person sets their index date. */
    entry: ZEventCriterion,
    demographics: ZDemographics.optional(),
    /** Applied in order; attrition reports the count remaining after each. */
    inclusionRules: z.array(ZInclusionRule).max(COHORT_LIMITS.maxRules).default([]),
  })
  .superRefine((definition, ctx) => {
    if (JSON.stringify(definition).length > COHORT_LIMITS.maxJsonBytes) {
      ctx.addIssue({ code: "custom", message: `The definition is larger than ${COHORT_LIMITS.maxJsonBytes} bytes` });
    }
    let total = 0;
    definition.inclusionRules.forEach((rule, i) => {
      if (depthOf(rule.group) > COHORT_LIMITS.maxGroupDepth) {
        ctx.addIssue({
          code: "custom",
          path: ["inclusionRules", i, "group"],
          message: `Groups may nest at most ${COHORT_LIMITS.maxGroupDepth} deep`,
        });
      }
      total += criteriaIn(rule.group);
    });
    if (total > COHORT_LIMITS.maxCriteria)
      ctx.addIssue({
        code: "custom",
        path: ["inclusionRules"],
        message: `At most ${COHORT_LIMITS.maxCriteria} criteria in all`,
      });
  });
export type CohortDefinition = z.infer<typeof ZCohortDefinition>;
export type CohortDefinitionInput = z.input<typeof ZCohortDefinition>;
