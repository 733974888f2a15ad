import { randomFillSync } from "node:crypto";
import type { NamedTensor } from "@/protocol/tensor-codec";

/**
 * Gaussian noise for differential privacy from the operating system's CSPRNG (node:crypto), never
 * from Math.random or a seeded generator: whoever knows the seed (the hub sends job and round ids)
 * could subtract the noise. Box–Muller over 53-bit uniforms; u1 is in (0, 1], so log(u1) is finite.
 */
const CHUNK = 8192;
const TWO_POW_53 = 2 ** 53;

export function fillGaussian(out: Float32Array | Float64Array, std: number): void {
  if (!(std >= 0) || !Number.isFinite(std)) throw new RangeError(`noise standard deviation must be ≥ 0, not ${std}`);
  if (std === 0) {
    out.fill(0);
    return;
  }
  const words = new Uint32Array(CHUNK * 4);
  let k = words.length;
  const uniform = () => {
    if (k === words.length) {
      randomFillSync(words);
      k = 0;
    }
    const hi = words[k++]! >>> 5;
    const lo = words[k++]! >>> 6;
    return (hi * 67_108_864 + lo) / TWO_POW_53;
  };
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - uniform();
    const u2 = uniform();
    const radius = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = radius * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
}

/** Adds independent N(0, std²) noise to every value of the update, in place. */
export function addGaussianNoise(tensors: NamedTensor[], std: number): void {
  for (const t of tensors) {
    const noise = new Float64Array(t.data.length);
    fillGaussian(noise, std);
    for (let i = 0; i < noise.length; i++) t.data[i] = t.data[i]! + noise[i]!;
  }
}

/** A uniform draw in [0, 1) from the CSPRNG, for Poisson sampling that the hub cannot predict. */
export function secureUniforms(count: number): Float64Array {
  const words = new Uint32Array(count * 2);
  randomFillSync(words);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++)
    out[i] = ((words[2 * i]! >>> 5) * 67_108_864 + (words[2 * i + 1]! >>> 6)) / TWO_POW_53;
  return out;
}
