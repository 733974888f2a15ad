import { createRng } from "@/workers/site-data/random";

/** Deterministic float32 values over eight orders of magnitude, both signs: hard cases for float sums. */
export function spreadFloat32(length: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length }, () => (rng.next() - 0.5) * 10 ** (rng.next() * 8 - 4));
}
