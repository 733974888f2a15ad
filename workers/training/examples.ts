/**
 * A split of a dataset in memory: `count` examples, their inputs back to back in `x` (each of
 * `exampleShape`), labels 0/1 in `y`. Plain arrays, so the dataset builders need no TF.js.
 */
export type Examples = { x: Float32Array; y: Float32Array; count: number };

/** train and validation are training's (local epochs, local metrics); test is the `evaluate` task's held-out split. */
export type Dataset = { exampleShape: number[]; train: Examples; validation: Examples; test: Examples };

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
