import { z } from "zod";
import { canonicalJson } from "./canonical-json";
import { ZCohortDefinition } from "./cohort-definition";
import { MODEL_TASKS, ZModelInput } from "./model-spec";
import { DP_LIMITS } from "./privacy/dp-settings";
import { ZOutcome } from "./training";

export const JOB_KINDS = ["cohort_count", "train", "evaluate"] as const;
export const OUTPUT_KINDS = ["cohort_counts", "model_updates", "metrics"] as const;

export const ZPurpose = z
  .string({ error: "Describe the project's purpose" })
  .trim()
  .min(20, "Describe the purpose in at least 20 characters, in plain English")
  .max(4000, "Keep the purpose under 4000 characters");

/** How many model specs one bundle may list. */
export const MAX_BUNDLE_MODELS = 20;

/**
 * A model spec sites approve: what it learns from (input), what it predicts (outcome) and, since
 * models are registered into the bundle, which architecture (SHA-256 of its topology's canonical
 * JSON, `hashArchitecture`). Jobs may train or evaluate only a model whose task, input and outcome
 * equal one listed in the approved bundle, with that architecture when the entry names one (entries
 * from before it do not); the name is for the reader. Registering a model adds its spec.
 */
export const ZBundleModel = z.strictObject({
  name: z.string().trim().min(1, "Name the model").max(120),
  task: z.enum(MODEL_TASKS),
  input: ZModelInput,
  outcome: ZOutcome,
  architectureSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "an architecture hash is 64 lowercase hex digits")
    .optional(),
});
export type BundleModel = z.infer<typeof ZBundleModel>;

/** What a model is compared on: its task, input and outcome, and its architecture's hash where known. */
export type ModelSpecLike = Pick<BundleModel, "task" | "input" | "outcome"> & { architectureSha256?: string };

/** What sites approve about a model's data: its task, input and outcome (the name only labels it). */
function specKey(model: ModelSpecLike): string {
  return canonicalJson({ task: model.task, input: model.input, outcome: model.outcome });
}

/**
 * The bundle's entry for a model: same task, input and outcome, and the same architecture when the
 * entry names one. Undefined when the bundle does not list it. Hub and site use this one rule.
 */
export function findBundleModel(bundle: Pick<Bundle, "models">, model: ModelSpecLike): BundleModel | undefined {
  const key = specKey(model);
  return bundle.models.find(
    (m) =>
      specKey(m) === key && (m.architectureSha256 === undefined || m.architectureSha256 === model.architectureSha256),
  );
}

/**
 * The governance bundle: everything a site is asked to allow. Any change makes a new revision
 * whose hash voids earlier approvals. Versioned so later fields can be added; `models` came later
 * and is left out of the hashed form while it is empty, so bundles from before it keep their hash.
 * Contract: the hash of this bundle is what a site approves, and sites will check it themselves.
 */
export const ZBundle = z.strictObject({
  bundleVersion: z.literal(1).default(1),
  purpose: ZPurpose,
  cohort: ZCohortDefinition.nullable().default(null),
  allowedJobKinds: z.array(z.enum(JOB_KINDS)).min(1, "Allow at least one kind of job").max(JOB_KINDS.length),
  outputs: z
    .array(z.enum(OUTPUT_KINDS))
    .min(1, "Name at least one output that may leave a site")
    .max(OUTPUT_KINDS.length),
  privacy: z.strictObject({
    minCellCount: z.number().int().min(10, "Sites suppress counts below 10 at least").max(1000),
    /**
     * Released counts are multiples of this at least: a site whose own rounding base is not a
     * multiple of it refuses the project's tasks (left out of the hash while absent).
     */
    roundingBase: z
      .number()
      .int()
      .min(1, "Round to a whole number from 1 to 100")
      .max(100, "Round to at most 100")
      .optional(),
    /**
     * Training must use differential privacy with at least this noise multiplier and at most this δ
     * (left out of the hash while absent, so older bundles keep theirs).
     */
    differentialPrivacy: z
      .strictObject({
        minNoiseMultiplier: z.number().min(DP_LIMITS.minNoise).max(DP_LIMITS.maxNoise),
        maxDelta: z.number().min(DP_LIMITS.minDelta).max(DP_LIMITS.maxDelta),
        /**
         * The ε (at maxDelta) all of the project's DP training may spend at each site, in all; each
         * site also keeps its own budget. Left out of the hash while absent.
         */
        maxEpsilon: z.number().positive("ε must be above 0").max(1000, "ε at most 1000").optional(),
      })
      .optional(),
    /** Training rounds must use secure aggregation, so the hub never sees one site's update. */
    secureAggregation: z.boolean().optional(),
  }),
  maxRounds: z.number().int().min(1).max(1000),
  models: z
    .array(ZBundleModel)
    .max(MAX_BUNDLE_MODELS, `A bundle lists at most ${MAX_BUNDLE_MODELS} model specs`)
    .default([]),
});
export type Bundle = z.infer<typeof ZBundle>;
