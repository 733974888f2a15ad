import { readFile } from "node:fs/promises";
import path from "node:path";
import type { SqlBuilder } from "../cohort/sql-params";
import type { Logger } from "../log";
import type { ModelPackage, Split } from "../protocol/training";
import { collectExamples, type Dataset } from "./examples";
import { decodeGrayPng, type GrayImage } from "./png";
import { isValidationPerson } from "./split";
import { outcomeSql } from "./tabular";

/**
 * Image examples: one per image_occurrence (MI-CDM) of a cohort member in the model's modality,
 * read from `local_path` under the site's data folder. A scan is positive when its person has an
 * outcome condition starting on or before the scan date. Its split follows its person's.
 */
export type ImageRow = { person_id: number; local_path: string | null; label: boolean };
type ImageInput = Extract<ModelPackage["input"], { kind: "image" }>;

export function imageSelect(builder: SqlBuilder, members: string, input: ImageInput, outcome: ModelPackage["outcome"]): string {
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
  /** Evaluation needs only the held-out scans: the training split's files are not read at all. */
  isValidationOnly: boolean;
  onProgress: (fraction: number) => Promise<void>;
};

/**
 * Reads, decodes and scales every image to [0, 1]. A missing or undecodable file is skipped and
 * only the number skipped is logged: a path or series uid is patient-level data.
 */
export async function loadImages(rows: readonly ImageRow[], input: ImageInput, split: Split, options: ImageLoadOptions): Promise<Dataset> {
  const size = input.height * input.width * input.channels;
  const examples: { x: Float32Array; y: number; isValidation: boolean }[] = [];
  let skipped = 0;
  for (const [i, row] of rows.entries()) {
    if (options.signal.aborted) break;
    const isValidation = isValidationPerson(split, row.person_id);
    if (options.isValidationOnly && !isValidation) continue;
    const image = await readImage(options.dataDir, row.local_path);
    if (image === null) skipped++;
    else examples.push({ x: toInput(image, input), y: row.label ? 1 : 0, isValidation });
    if (i % 200 === 199) await options.onProgress((i + 1) / rows.length);
  }
  if (skipped > 0) options.log.warn("Some image files were missing or not 8-bit grayscale PNGs; they were left out", { skipped });
  return {
    exampleShape: [input.height, input.width, input.channels],
    train: collectExamples(examples.filter((e) => !e.isValidation), size),
    validation: collectExamples(examples.filter((e) => e.isValidation), size),
  };
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
  const gray = image.width === input.width && image.height === input.height ? scale(image.pixels) : resizeBilinear(image, input.width, input.height);
  if (input.channels === 1) return gray;
  // A 3-channel model (e.g. one pretrained on RGB) sees the grayscale value in every channel.
  const rgb = new Float32Array(gray.length * 3);
  gray.forEach((value, i) => rgb.fill(value, 3 * i, 3 * i + 3));
  return rgb;
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
