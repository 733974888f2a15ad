import { z } from "zod";
import { TEMPLATE_IDS } from "@/protocol/models/templates";
import { ZModelSpec } from "@/protocol/model-spec";
import { ZOutcome } from "@/protocol/training";

export const MODEL_ALIASES = ["champion", "candidate"] as const;

/** Either a built-in template or pasted / uploaded TF.js layers JSON (a whole model.json is accepted). */
export const ZArchitectureChoice = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("template"), template: z.enum(TEMPLATE_IDS, { error: "Choose a template" }) }),
  z.object({ kind: z.literal("json"), json: z.unknown() }),
]);

/** The 50 M-parameter limit is 200 MB of float32; base64 adds a third on the wire. */
const MAX_IMPORT_WEIGHT_BYTES = 200 * 1024 * 1024;
const MAX_BASE64_CHARS = Math.ceil(MAX_IMPORT_WEIGHT_BYTES / 3) * 4;
/** A model upload's request: its weight files plus the architecture JSON and a little JSON around them. */
export const MAX_MODEL_UPLOAD_REQUEST_BYTES = MAX_BASE64_CHARS + 4 * 1024 * 1024;

const ZWeightFiles = z
  .record(z.string().min(1).max(200), z.base64().max(MAX_BASE64_CHARS))
  .refine((files) => Object.keys(files).length <= 100, "At most 100 weight files")
  .refine(
    (files) => Object.values(files).reduce((n, f) => n + f.length, 0) <= MAX_BASE64_CHARS,
    `The weight files add up to more than ${MAX_IMPORT_WEIGHT_BYTES / 1024 / 1024} MB`,
  );

export const ZRegisterModelInput = z
  .object({
    projectId: z.uuid(),
    spec: ZModelSpec.safeExtend({ architecture: ZArchitectureChoice }),
    outcome: ZOutcome,
    limitations: z.string().trim().max(4000, "Keep the limitations under 4000 characters").default(""),
    /** With an uploaded model.json: its weight files, so version 1 starts from those weights. */
    weightFiles: ZWeightFiles.optional(),
  })
  .refine((input) => !input.weightFiles || input.spec.architecture.kind === "json", {
    path: ["weightFiles"],
    message: "Weight files come with an uploaded model.json, not with a template",
  });
export type TRegisterModelInput = z.infer<typeof ZRegisterModelInput>;

/**
 * An existing TF.js model (model.json + its weight files) as the model's next version. The weight
 * files travel base64-encoded, keyed by the path model.json's weightsManifest names them by.
 */
export const ZImportVersionInput = z.object({
  projectId: z.uuid(),
  modelId: z.uuid(),
  modelJson: z.unknown(),
  weightFiles: ZWeightFiles,
});
export type TImportVersionInput = z.infer<typeof ZImportVersionInput>;

export const ZModelRef = z.object({ projectId: z.uuid(), modelId: z.uuid() });
export const ZVersionRef = z.object({ projectId: z.uuid(), versionId: z.uuid() });
export const ZSetAliasInput = z.object({ projectId: z.uuid(), versionId: z.uuid(), alias: z.enum(MODEL_ALIASES) });
export const ZClearAliasInput = z.object({ projectId: z.uuid(), modelId: z.uuid(), alias: z.enum(MODEL_ALIASES) });
export const ZUpdateLimitationsInput = z.object({
  projectId: z.uuid(),
  modelId: z.uuid(),
  limitations: z.string().trim().max(4000, "Keep the limitations under 4000 characters"),
});
export const ZModelCardInput = z.object({ projectId: z.uuid(), modelId: z.uuid(), versionId: z.uuid().optional() });
