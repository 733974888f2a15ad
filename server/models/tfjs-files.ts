import { strToU8, unzipSync, zipSync } from "fflate";
import { z } from "zod";
import { AppError } from "@/server/errors";
import { ARCHITECTURE_LIMITS } from "@/protocol/models/validate-architecture";
import { countElements, formatShape, type NamedTensor } from "@/protocol/tensor-codec";

/**
 * The TF.js layers-model file format (model.json + binary weight shards), as `model.save()`
 * writes it and `tf.loadLayersModel()` reads it. Only float32 weights are accepted on import:
 * quantised or integer weights would change the model the registry promises to reproduce.
 */
const ZWeightEntry = z.object({
  name: z.string().min(1).max(200),
  shape: z.array(z.number().int().nonnegative()).max(8),
  dtype: z.string().optional(),
  quantization: z.unknown().optional(),
});
const ZWeightsManifest = z
  .array(
    z.object({
      paths: z.array(z.string().min(1).max(200)).min(1).max(1000),
      weights: z.array(ZWeightEntry).max(10_000),
    }),
  )
  .max(1000);
export const ZModelJsonFile = z.looseObject({ modelTopology: z.unknown(), weightsManifest: ZWeightsManifest });

export const WEIGHTS_FILE = "weights.bin";

/** model.json and a single weights.bin, zipped: what a researcher downloads. */
export function buildTfjsZip(
  modelTopology: unknown,
  tensors: readonly NamedTensor[],
  extras: Record<string, string> = {},
): Uint8Array {
  const modelJson = {
    format: "layers-model",
    generatedBy: "FLIP Portal",
    convertedBy: null,
    modelTopology,
    weightsManifest: [
      { paths: [WEIGHTS_FILE], weights: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: "float32" })) },
    ],
  };
  const total = tensors.reduce((n, t) => n + t.data.byteLength, 0);
  const weights = new Uint8Array(total);
  let offset = 0;
  for (const t of tensors) {
    // Float32Array is little-endian on every host TF.js supports, as is the file format.
    weights.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
    offset += t.data.byteLength;
  }
  const files: Record<string, Uint8Array> = {
    "model.json": strToU8(JSON.stringify(modelJson, null, 2)),
    [WEIGHTS_FILE]: weights,
  };
  for (const [name, text] of Object.entries(extras)) files[name] = strToU8(text);
  return zipSync(files, { level: 0 });
}

/** Reads a model download back into its files. @internal for tests that check what a researcher downloads. */
export function unzipTfjs(zip: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(zip);
}

const refuse = (message: string): never => {
  throw AppError.field("BAD_REQUEST", "weightFiles", message);
};

/** What model.json says the weights add up to, checked before any file is read: no model in the registry holds more. */
function checkManifestSize(manifest: z.infer<typeof ZWeightsManifest>): void {
  const limit = ARCHITECTURE_LIMITS.maxParameters;
  let parameters = 0;
  for (const group of manifest)
    for (const entry of group.weights) {
      parameters += countElements(entry.shape);
      if (!Number.isSafeInteger(parameters) || parameters > limit)
        refuse(
          `model.json describes more than ${limit} weight values; the registry accepts models up to ${limit} parameters`,
        );
    }
}

/** Reads an uploaded model.json and its weight files into named float32 tensors, checking every byte is accounted for. */
export function readTfjsUpload(
  modelJson: unknown,
  weightFiles: Record<string, Uint8Array>,
): { modelTopology: unknown; tensors: NamedTensor[]; fileNames: string[] } {
  const parsed = ZModelJsonFile.safeParse(modelJson);
  if (!parsed.success)
    throw AppError.field(
      "BAD_REQUEST",
      "modelJson",
      "This is not a TF.js layers model.json: it needs modelTopology and weightsManifest",
    );
  checkManifestSize(parsed.data.weightsManifest);
  const tensors: NamedTensor[] = [];
  const used = new Set<string>();
  for (const group of parsed.data.weightsManifest) {
    // Each file is read once: a path listed again would make the hub assemble it again.
    const repeated = group.paths.find((p, i) => used.has(p) || group.paths.indexOf(p) !== i);
    if (repeated !== undefined)
      refuse(`model.json lists weight file ${repeated} more than once; each weight file belongs in one place`);
    const missing = group.paths.filter((p) => !weightFiles[p]);
    if (missing.length)
      refuse(
        `model.json names weight file${missing.length > 1 ? "s" : ""} ${missing.join(", ")}; upload ${missing.length > 1 ? "them" : "it"} too`,
      );
    const parts = group.paths.map((p) => weightFiles[p]!);
    group.paths.forEach((p) => used.add(p));
    const bytes = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.byteLength;
    }
    let offset = 0;
    for (const entry of group.weights) {
      if ((entry.dtype ?? "float32") !== "float32" || entry.quantization !== undefined)
        refuse(
          `Weight ${entry.name} is ${entry.quantization ? "quantised" : entry.dtype}; only float32 weights can be imported`,
        );
      const length = countElements(entry.shape) * 4;
      if (offset + length > bytes.byteLength)
        refuse(
          `The weight files end before weight ${entry.name} ${formatShape(entry.shape)}; they are truncated or do not belong to this model.json`,
        );
      const data = new Float32Array(bytes.slice(offset, offset + length).buffer);
      tensors.push({ name: entry.name, shape: entry.shape, data });
      offset += length;
    }
    if (offset !== bytes.byteLength)
      refuse(
        `The weight files hold ${bytes.byteLength - offset} bytes more than model.json describes; they do not belong to this model.json`,
      );
  }
  const extra = Object.keys(weightFiles).filter((name) => !used.has(name));
  if (extra.length) refuse(`model.json does not use ${extra.join(", ")}; upload only its own weight files`);
  return { modelTopology: parsed.data.modelTopology, tensors, fileNames: [...used] };
}
