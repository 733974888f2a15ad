import { createHash } from "node:crypto";
import { DEFAULT_TEST_FRACTION, type Split } from "@/protocol/training";

export type SplitName = "train" | "validation" | "test";

/**
 * The person-level split, decided from the job's seed alone: the same person is in the same split
 * in every round and every task of a job, and all images of a person fall on the same side (no
 * leakage). hash(seed, person) gives u in [0, 1): the lowest `testFraction` is the test split, which
 * only the `evaluate` task scores (training and its local metrics never see it), the next
 * `validationFraction` is the validation split training reports metrics on, the rest trains.
 * The test band does not depend on validationFraction, so an evaluation scores the same persons
 * whatever validation fraction its training job used.
 */
export function splitOf(split: Split, personId: number): SplitName {
  const digest = createHash("sha256").update(`${split.seed}:${personId}`).digest("hex");
  const u = Number.parseInt(digest.slice(0, 8), 16) / 0x100000000;
  const test = split.testFraction ?? DEFAULT_TEST_FRACTION;
  if (u < test) return "test";
  return u < test + split.validationFraction ? "validation" : "train";
}
