import { z } from "zod";

/**
 * Fixed-point encoding of updates into the ring Z/2^32 for secure aggregation. Each site encodes
 * w·x (its FedAvg weight w in [0, 1] times its clipped, noised update), clamped to [−range, range],
 * as round((w·x + range) · scale), an integer in [0, 2·range·scale]. The scale is chosen per job so
 * that the sum over all the job's sites stays below 2^32: sites · (2·range·scale + 1) < 2^32, so the
 * masked sum, taken modulo 2^32, is the exact sum of the encodings and cannot wrap around.
 */
export const RING_BITS = 32;
const RING = 2 ** RING_BITS;

export const ZSecAggParams = z.object({
  /** Sites in the round and the Shamir threshold: any `threshold` survivors unmask, fewer cannot. */
  sites: z.number().int().min(3).max(1000),
  threshold: z.number().int().min(2),
  /** Each weighted coordinate is clamped to [−range, range] before encoding. */
  range: z.number().positive(),
  scale: z.number().positive(),
});
export type SecAggParams = z.infer<typeof ZSecAggParams>;

/**
 * Per-job parameters: the threshold is a strict majority of at least two thirds (so unmasking needs
 * most sites and a round survives a third dropping out), the range the clip plus six standard
 * deviations of one site's noise share (a coordinate beyond it is clamped: post-processing, still DP).
 */
export function secAggParams(input: { sites: number; normBound: number; noiseStd: number }): SecAggParams {
  const { sites } = input;
  if (!Number.isInteger(sites) || sites < 3) throw new RangeError("secure aggregation needs at least 3 sites");
  const range = input.normBound + 6 * input.noiseStd;
  const scale = Math.floor((RING - 1) / sites - 1) / (2 * range);
  return { sites, threshold: Math.max(2, Math.ceil((2 * sites) / 3)), range, scale };
}

/** w·x encoded in the ring (see above). */
export function quantise(values: ArrayLike<number>, weight: number, params: SecAggParams): Uint32Array {
  if (!(weight >= 0 && weight <= 1)) throw new RangeError(`the FedAvg weight must lie in [0, 1], not ${weight}`);
  // In the scaled domain: w·x·scale + range·scale, clamped to [0, 2·range·scale], one multiply-add per value.
  const factor = weight * params.scale;
  const offset = params.range * params.scale;
  const top = 2 * offset;
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const t = values[i]! * factor + offset;
    out[i] = Math.round(t < 0 ? 0 : t > top ? top : t);
  }
  return out;
}

/** The weighted mean Σ w·x / Σ w from the unmasked sum of `count` sites' encodings. */
export function dequantiseMean(
  sum: Uint32Array,
  count: number,
  totalWeight: number,
  params: SecAggParams,
): Float32Array {
  const out = new Float32Array(sum.length);
  const offset = count * params.range;
  for (let i = 0; i < sum.length; i++) out[i] = (sum[i]! / params.scale - offset) / totalWeight;
  return out;
}

/**
 * The largest difference between dequantiseMean and the exact weighted mean when no coordinate was
 * clamped: half a step per site, plus the float32 rounding of a result of at most count·range / Σw.
 */
export function quantisationBound(params: SecAggParams, count: number, totalWeight: number): number {
  return count / (2 * params.scale) / totalWeight + 2 ** -24 * ((count * params.range) / totalWeight);
}
