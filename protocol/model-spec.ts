import { z } from "zod";
import { MODALITIES } from "./cohort-definition";
import { MAX_STACKED_SLICES, stackedChannels, ZImagePreprocessing } from "./image-preprocessing";

/**
 * A model specification as registered in a project: what the model predicts, what it reads and
 * its architecture. One schema shared by the browser form, the hub and the site worker. The
 * architecture stays `unknown` here because checking it needs TF.js (see
 * `protocol/models/validate-architecture.ts`), which the browser form should not have to load.
 */
export const MODEL_SPEC_LIMITS = {
  minClasses: 3,
  maxClasses: 100,
  maxFeatures: 200,
  maxConceptsPerFeature: 200,
  maxImageSide: 1024,
  maxWindowDays: 36_500,
} as const;

export const MODEL_TASKS = ["binary_classification", "multiclass_classification", "regression"] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/**
 * The tasks a site's trainer can train and evaluate today (`workers/training/`: binary
 * cross-entropy on one sigmoid output, metrics at 0.5). The register form offers only these and the
 * hub refuses training and evaluation jobs for any other task; other specs can still be registered.
 */
export const TRAINABLE_TASKS = ["binary_classification"] as const satisfies readonly ModelTask[];
type TrainableTask = (typeof TRAINABLE_TASKS)[number];

export function isTrainableTask(task: ModelTask): task is TrainableTask {
  return (TRAINABLE_TASKS as readonly ModelTask[]).includes(task);
}

const ZName = z.string().trim().min(1, "Give it a name").max(120);
const ZConceptId = z.number().int().positive();
const ZImageSide = z.number().int().min(8, "Images must be at least 8 pixels").max(MODEL_SPEC_LIMITS.maxImageSide);

export const ZImageInput = z
  .strictObject({
    kind: z.literal("image"),
    height: ZImageSide,
    width: ZImageSide,
    /** 1 (greyscale), 3 (RGB or grey in each), or the number of slices a 2.5D stack feeds. */
    channels: z.number().int().min(1).max(MAX_STACKED_SLICES),
    modality: z.enum(MODALITIES),
    /** Window and slices for DICOM and NIfTI series; without it, the robust window on the centre slice. */
    preprocessing: ZImagePreprocessing.optional(),
    /** Mirror training images left-right (never at evaluation): right for roughly symmetric anatomy such as axial head CT, wrong where side matters (chest X-ray). */
    horizontalFlip: z.boolean().optional(),
  })
  .superRefine((input, ctx) => {
    const stacked = stackedChannels(input.preprocessing);
    if (stacked !== undefined && stacked !== input.channels)
      ctx.addIssue({
        code: "custom",
        path: ["channels"],
        message: `A stack of ${stacked} slices feeds ${stacked} channels; set channels to ${stacked}`,
      });
    if (stacked === undefined && input.channels !== 1 && input.channels !== 3)
      ctx.addIssue({
        code: "custom",
        path: ["channels"],
        message: "Channels must be 1 (greyscale) or 3 (RGB), or the number of slices in a 2.5D stack",
      });
    // Presets are in Hounsfield units, which only CT has: every site would refuse the model.
    if (input.preprocessing?.window.kind === "preset" && input.modality !== "CT")
      ctx.addIssue({
        code: "custom",
        path: ["preprocessing", "window"],
        message: `The ${input.preprocessing.window.preset.replace("_", " ")} window is in Hounsfield units, which only CT has: for ${input.modality}, choose the robust window or a level and width in its own units`,
      });
  });

export type ImageInput = z.infer<typeof ZImageInput>;

export const ZFeatureSource = z.discriminatedUnion("source", [
  z.strictObject({
    source: z.literal("measurement"),
    conceptId: ZConceptId,
    /** A value recorded in another unit is not used, so sites never mix mg/dL with mmol/L. */
    unitConceptId: ZConceptId.optional(),
    aggregation: z.enum(["latest", "mean", "max", "min"]),
    windowDays: z.number().int().min(1).max(MODEL_SPEC_LIMITS.maxWindowDays),
  }),
  z.strictObject({
    source: z.literal("condition"),
    conceptIds: z.array(ZConceptId).min(1, "Pick at least one concept").max(MODEL_SPEC_LIMITS.maxConceptsPerFeature),
    // Named "rule" so it cannot be confused with the feature's column encoding.
    rule: z.literal("present_before_index"),
  }),
  z.strictObject({ source: z.literal("demographic"), field: z.enum(["age_at_index", "sex"]) }),
]);

export const FEATURE_ENCODINGS = ["standardise", "raw", "one_hot", "binary"] as const;
export type FeatureEncoding = (typeof FEATURE_ENCODINGS)[number];

export const ZTabularFeature = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[a-z][a-z0-9_]*$/, "Use lower-case letters, digits and underscores, starting with a letter"),
  from: ZFeatureSource,
  encoding: z.enum(FEATURE_ENCODINGS),
});
export type TabularFeature = z.infer<typeof ZTabularFeature>;

/** The encodings that make sense for a source; anything else would silently mean nothing. */
function allowedEncodings(feature: TabularFeature): readonly FeatureEncoding[] {
  switch (feature.from.source) {
    case "measurement":
      return ["standardise", "raw"];
    case "condition":
      return ["binary"];
    case "demographic":
      return feature.from.field === "sex" ? ["one_hot", "binary"] : ["standardise", "raw"];
  }
}

export const ZTabularInput = z
  .strictObject({
    kind: z.literal("tabular"),
    features: z.array(ZTabularFeature).min(1, "Add at least one feature").max(MODEL_SPEC_LIMITS.maxFeatures),
  })
  .superRefine((input, ctx) => {
    const seen = new Set<string>();
    input.features.forEach((feature, i) => {
      if (seen.has(feature.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["features", i, "name"],
          message: `Feature name "${feature.name}" is used twice`,
        });
      }
      seen.add(feature.name);
      const allowed = allowedEncodings(feature);
      if (!allowed.includes(feature.encoding)) {
        ctx.addIssue({
          code: "custom",
          path: ["features", i, "encoding"],
          message: `Feature "${feature.name}" cannot be encoded as ${feature.encoding}; use ${allowed.join(" or ")}`,
        });
      }
    });
  });

export const ZModelInput = z.discriminatedUnion("kind", [ZImageInput, ZTabularInput]);
export type ModelInput = z.infer<typeof ZModelInput>;

export const ZModelSpec = z
  .strictObject({
    name: ZName,
    task: z.enum(MODEL_TASKS),
    classes: z.number().int().min(MODEL_SPEC_LIMITS.minClasses).max(MODEL_SPEC_LIMITS.maxClasses).optional(),
    input: ZModelInput,
    architecture: z.unknown(),
  })
  .superRefine((spec, ctx) => {
    // Classes only mean something for multi-class; a stray value would be ignored and mislead.
    if (spec.task === "multiclass_classification" && spec.classes === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["classes"],
        message: "Multi-class classification needs the number of classes",
      });
    }
    if (spec.task !== "multiclass_classification" && spec.classes !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["classes"],
        message: "Only multi-class classification takes a number of classes",
      });
    }
  });
export type ModelSpec = z.infer<typeof ZModelSpec>;

/** Columns one feature contributes to the model input: one_hot of sex is [male, female]. */
export function countFeatureColumns(feature: TabularFeature): number {
  return feature.encoding === "one_hot" ? 2 : 1;
}

/** The model input shape (batch dimension first) that a spec's input implies. */
export function expectedInputShape(input: ModelInput): (number | null)[] {
  if (input.kind === "image") return [null, input.height, input.width, input.channels];
  return [null, input.features.reduce((sum, f) => sum + countFeatureColumns(f), 0)];
}
