import { TaskError } from "../release/failures";

/**
 * A split of a dataset in memory: `count` examples, their inputs back to back in `x` (each of
 * `exampleShape`), labels 0/1 in `y`. Plain arrays, so the dataset builders need no TF.js.
 */
export type Examples = { x: Float32Array; y: Float32Array; count: number };

/** train and validation are training's (local epochs, local metrics); test is the `evaluate` task's held-out split. */
export type Dataset = {
  exampleShape: number[];
  train: Examples;
  validation: Examples;
  test: Examples;
  /** Image datasets: referenced images left out because they were missing or unreadable. */
  unreadableImages?: number;
};

/** The three splits from examples tagged with their split. */
export function splitExamples(
  examples: readonly { x: ArrayLike<number>; y: number; split: "train" | "validation" | "test" }[],
  size: number,
): Omit<Dataset, "exampleShape"> {
  const of = (name: "train" | "validation" | "test") =>
    collectExamples(
      examples.filter((e) => e.split === name),
      size,
    );
  return { train: of("train"), validation: of("validation"), test: of("test") };
}

export function collectExamples(rows: readonly { x: ArrayLike<number>; y: number }[], size: number): Examples {
  const x = new Float32Array(rows.length * size);
  const y = new Float32Array(rows.length);
  rows.forEach((row, i) => {
    x.set(row.x, i * size);
    y[i] = row.y;
  });
  return { x, y, count: rows.length };
}

/**
 * The refusal for a split below the site's minimum: when referenced images were left out, it says
 * the images are unavailable (a site missing its files is not a small cohort); otherwise the cohort is too small.
 */
export function tooFewExamples(dataset: Dataset, minimum: number): TaskError {
  if ((dataset.unreadableImages ?? 0) > 0)
    return new TaskError(
      { reason: "images_unavailable" },
      false,
      `${dataset.unreadableImages} referenced images were missing or unreadable (see the warning above)`,
    );
  return new TaskError({ reason: "cohort_too_small", minimum });
}
