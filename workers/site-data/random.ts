import { createHash } from "node:crypto";

/**
 * Deterministic randomness. Everything the generator draws comes from these streams, never from
 * Math.random or the clock, so the same (seed, site) gives byte-identical databases and images.
 */

export type Rng = {
  /** Uniform in [0, 1). */
  next: () => number;
  uniform: (min: number, max: number) => number;
  int: (min: number, maxInclusive: number) => number;
  normal: (mean?: number, sd?: number) => number;
  bernoulli: (p: number) => boolean;
  pick: <T>(items: readonly T[]) => T;
};

/** A 32-bit seed from any parts, via SHA-256 so nearby seeds give unrelated streams. */
export function hashSeed(...parts: (string | number)[]): number {
  return createHash("sha256").update(parts.join("\u0000")).digest().readUInt32LE(0);
}

// mulberry32: tiny, fast and good enough for synthetic data (not for cryptography).
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Box-Muller keeps its spare value so each call costs one draw on average.
  let spare: number | undefined;
  const normal = (mean = 0, sd = 1) => {
    if (spare !== undefined) {
      const value = spare;
      spare = undefined;
      return mean + sd * value;
    }
    const u = Math.max(next(), 1e-12);
    const v = next();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return mean + sd * radius * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, maxInclusive) => min + Math.floor(next() * (maxInclusive - min + 1)),
    normal,
    bernoulli: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error("pick from an empty list");
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A DICOM UID under the 2.25 root (a UUID-derived integer), stable for the same parts. */
export function dicomUid(...parts: (string | number)[]): string {
  const digest = createHash("sha256").update(parts.join("\u0000")).digest();
  return `2.25.${BigInt(`0x${digest.subarray(0, 16).toString("hex")}`).toString(10)}`;
}
