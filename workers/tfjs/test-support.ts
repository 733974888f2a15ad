import * as tf from "@tensorflow/tfjs";
import { activateWasmBackend } from "./wasm-init";

export type Backend = "cpu" | "wasm";

/** Runs `compute` on a backend and returns its values; tensors are built inside so they live on that backend. */
export async function runOn(backend: Backend, compute: () => tf.Tensor): Promise<Float32Array> {
  if (backend === "wasm") {
    await activateWasmBackend();
  } else {
    await tf.setBackend("cpu");
  }
  const result = tf.tidy(compute);
  const values = (await result.data()) as Float32Array;
  result.dispose();
  return values;
}

/** max |a - b| / max |a|: relative to the tensor's scale, so near-zero entries do not blow up. */
export function relativeError(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) return Number.POSITIVE_INFINITY;
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? 0;
    maxDiff = Math.max(maxDiff, Math.abs(e - (actual[i] ?? 0)));
    scale = Math.max(scale, Math.abs(e));
  }
  return scale === 0 ? maxDiff : maxDiff / scale;
}

export function seededNormal(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", seed);
}
