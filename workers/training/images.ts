import { readFile } from "node:fs/promises";
import path from "node:path";
import type { SqlBuilder } from "../cohort/sql-params";
import type { Logger } from "../log";
import type { ModelPackage, Split } from "@/protocol/training";
import { splitExamples, type Dataset } from "./examples";
import { decodeGrayPng, type GrayImage } from "./png";
import { splitOf, type SplitName } from "./split";
import { outcomeSql } from "./tabular";

/**
 * Image examples: one per image_occurrence (MI-CDM) of a cohort member in the model's modality,
 * read from `local_path` under the site's data folder. A scan is positive when its person has an
 * outcome condition starting on or before the scan date. Its split follows its person's.
 */
export type ImageRow = { person_id: number; local_path: string | null; label: boolean };
type ImageInput = Extract<ModelPackage["input"], { kind: "image" }>;

export function imageSelect(
  builder: SqlBuilder,
  members: string,
  input: ImageInput,
  outcome: ModelPackage["outcome"],
): string {
  const modalityIds = builder.bind(builder.options.modalityConceptIds[input.modality] ?? [], "bigint[]");
  return `SELECT m.person_id, i.local_path, ${outcomeSql(builder, outcome, "i.image_occurrence_date", true)} AS label
  FROM ${members} m JOIN ${builder.table("image_occurrence")} i ON i.person_id = m.person_id
 WHERE i.modality_concept_id = ANY(${modalityIds})
 ORDER BY i.image_occurrence_id`;
}

export type ImageLoadOptions = {
  dataDir: string;
  log: Logger;
  signal: AbortSignal;
  /** Evaluation needs only the test split's scans: the other splits' files are not read at all. */
  isTestOnly: boolean;
  onProgress: (fraction: number) => Promise<void>;
};

/**
 * Reads, decodes and windows every image to [-1, 1] (windowIntensities). A missing or undecodable file is skipped and
 * only the number skipped is logged: a path or series uid is patient-level data.
 */
export async function loadImages(
  rows: readonly ImageRow[],
  input: ImageInput,
  split: Split,
  options: ImageLoadOptions,
): Promise<Dataset> {
  const size = input.height * input.width * input.channels;
  const examples: { x: Float32Array; y: number; split: SplitName }[] = [];
  let skipped = 0;
  for (const [i, row] of rows.entries()) {
    if (options.signal.aborted) break;
    const which = splitOf(split, row.person_id);
    if (options.isTestOnly && which !== "test") continue;
    const image = await readImage(options.dataDir, row.local_path);
    if (image === null) skipped++;
    else examples.push({ x: toInput(image, input), y: row.label ? 1 : 0, split: which });
    if (i % 200 === 199) await options.onProgress((i + 1) / rows.length);
  }
  if (skipped > 0)
    options.log.warn("Some image files were missing or not 8-bit grayscale PNGs; they were left out", { skipped });
  return { exampleShape: [input.height, input.width, input.channels], ...splitExamples(examples, size) };
}

async function readImage(dataDir: string, localPath: string | null): Promise<GrayImage | null> {
  if (!localPath) return null;
  const root = path.resolve(dataDir);
  const file = path.resolve(root, localPath);
  // A path that climbs out of the data folder is not an image of this site's export.
  if (!file.startsWith(root + path.sep)) return null;
  try {
    return decodeGrayPng(await readFile(file));
  } catch {
    return null;
  }
}

function toInput(image: GrayImage, input: ImageInput): Float32Array {
  const gray = windowIntensities(
    image.width === input.width && image.height === input.height
      ? scale(image.pixels)
      : resizeBilinear(image, input.width, input.height),
  );
  if (input.channels === 1) return gray;
  // A 3-channel model (e.g. one pretrained on RGB) sees the grayscale value in every channel.
  const rgb = new Float32Array(gray.length * 3);
  gray.forEach((value, i) => rgb.fill(value, 3 * i, 3 * i + 3));
  return rgb;
}

/** Half-width of the intensity window, in robust standard deviations of the image's foreground. */
const WINDOW_SDS = 6;

/**
 * Per-image intensity windowing (what a radiologist's brain window does, made scanner-independent):
 * centre on the median of the foreground (pixels brighter than the image mean: tissue, not air),
 * scale by its robust spread (1.4826 x median absolute deviation), clip to +-WINDOW_SDS and map to
 * [-1, 1]. Subtle hypo/hyperdensities in tissue then span a large part of the input range, while air
 * and bone saturate instead of dominating the activations; and each site's scanner offset, gain and
 * noise level are normalised away. Without this, lesions of a few percent of the [0, 1] range on a
 * bright skull ring left the CNN at the class prior for the few hundred steps a federated round has.
 */
export function windowIntensities(values: Float32Array): Float32Array {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  const foreground = Float32Array.from(values.filter((v) => v > mean)).sort();
  if (foreground.length === 0) return new Float32Array(values.length); // a flat image carries nothing
  const median = foreground[foreground.length >> 1]!;
  const deviations = foreground.map((v) => Math.abs(v - median)).sort();
  // A floor of one 8-bit grey level keeps a noiseless synthetic image from blowing up.
  const spread = Math.max(1.4826 * deviations[deviations.length >> 1]!, 1 / 255);
  const halfWidth = WINDOW_SDS * spread;
  return values.map((v) => Math.max(-1, Math.min(1, (v - median) / halfWidth)));
}

function scale(pixels: Uint8Array): Float32Array {
  return Float32Array.from(pixels, (value) => value / 255);
}

/** Half-pixel-centred bilinear resampling (as tf.image.resizeBilinear without alignCorners), scaled to [0, 1]. */
export function resizeBilinear(image: GrayImage, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const at = (x: number, y: number) => image.pixels[y * image.width + x]! / 255;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.max(0, ((y + 0.5) * image.height) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(image.height - 1, y0 + 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.max(0, ((x + 0.5) * image.width) / width - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(image.width - 1, x0 + 1);
      const top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * (sx - x0);
      const bottom = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * (sx - x0);
      out[y * width + x] = top + (bottom - top) * (sy - y0);
    }
  }
  return out;
}
