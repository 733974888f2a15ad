import { createHash } from "node:crypto";
import type { Split } from "@/protocol/training";

/**
 * The held-out split, decided per PERSON from the job's seed alone: the same person is in the
 * same split in every round and every task of a job, so validation metrics are never measured on
 * examples the model trained on, and all images of a person fall on the same side (no leakage).
 */
export function isValidationPerson(split: Split, personId: number): boolean {
  const digest = createHash("sha256").update(`${split.seed}:${personId}`).digest("hex");
  return Number.parseInt(digest.slice(0, 8), 16) / 0xffffffff < split.validationFraction;
}
