import { countElements, formatShape, type NamedTensor } from "@/workers/protocol/tensor-codec";
import type { TensorSpec } from "./validate-update";

/**
 * Folds site updates into a weighted sum as they arrive, so a round needs one accumulator per
 * tensor however many sites take part (DESIGN section 5: memory O(model), not O(sites x model)).
 *
 * Precision: accumulators are Float64. An update value (24-bit mantissa) times an example count
 * below 2^29 is exact in float64, and a handful of such sums rounds far below float32 resolution,
 * so the mean cast back to float32 does not depend on the order sites reported in. Float32
 * accumulators would make the new global model depend on network timing by a few ulps, and lose
 * small updates next to large weighted sums. The cost is 8 bytes per parameter (80 MB for 10 M).
 *
 * Callers validate updates first (validateUpdate); `add` only re-checks what would corrupt memory.
 */
export class AggregationError extends Error {
  override name = "AggregationError";
}

export interface RunningSum {
  /** Folds in one site's update weighted by its example count; each contributor at most once. */
  add(contributor: string, update: readonly NamedTensor[], weight: number): void;
  /** The weighted mean so far, as float32 tensors in manifest order. */
  mean(): NamedTensor[];
  readonly totalWeight: number;
  readonly contributors: readonly string[];
  /** The float64 sums, tensors back to back, little-endian: what a hub persists to resume a round. */
  toBytes(): Uint8Array;
}

/** A running sum restored from `toBytes()` with the weight and contributors recorded beside it. */
export type RunningSumState = { bytes: Uint8Array; totalWeight: number; contributors: readonly string[] };

export function createRunningSum(spec: readonly TensorSpec[], restored?: RunningSumState): RunningSum {
  const sums = restore(spec, restored?.bytes);
  const contributors: string[] = [...(restored?.contributors ?? [])];
  const seen = new Set<string>(contributors);
  let totalWeight = restored?.totalWeight ?? 0;

  return {
    add(contributor, update, weight) {
      if (seen.has(contributor)) {
        throw new AggregationError(`${contributor} already contributed to this round; a second update is rejected`);
      }
      if (!Number.isFinite(weight) || weight <= 0) {
        throw new AggregationError(`${contributor} reported weight ${weight}; the example count must be positive`);
      }
      if (update.length !== spec.length) {
        throw new AggregationError(`update has ${update.length} tensors, expected ${spec.length}`);
      }
      for (const [t, tensor] of update.entries()) {
        if (tensor.data.length !== sums[t]!.length) {
          throw new AggregationError(`tensor ${tensor.name} has ${tensor.data.length} values, ${formatShape(spec[t]!.shape)} needs ${sums[t]!.length}`);
        }
      }
      for (const [t, tensor] of update.entries()) {
        addScaled(sums[t]!, tensor.data, weight);
      }
      seen.add(contributor);
      contributors.push(contributor);
      totalWeight += weight;
    },
    mean() {
      if (totalWeight === 0) throw new AggregationError("no site has contributed yet; there is nothing to average");
      return spec.map((tensor, t) => {
        const sum = sums[t]!;
        const out = new Float32Array(sum.length);
        for (let i = 0; i < sum.length; i++) out[i] = sum[i]! / totalWeight;
        return { name: tensor.name, shape: [...tensor.shape], data: out };
      });
    },
    get totalWeight() {
      return totalWeight;
    },
    get contributors() {
      return contributors;
    },
    toBytes() {
      const total = sums.reduce((n, sum) => n + sum.length, 0);
      const out = new Float64Array(total);
      let offset = 0;
      for (const sum of sums) {
        out.set(sum, offset);
        offset += sum.length;
      }
      return toLittleEndian(out);
    },
  };
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function toLittleEndian(values: Float64Array): Uint8Array {
  if (IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat64(8 * i, v, true));
  return out;
}

function restore(spec: readonly TensorSpec[], bytes: Uint8Array | undefined): Float64Array[] {
  const sizes = spec.map((tensor) => countElements(tensor.shape));
  if (!bytes) return sizes.map((n) => new Float64Array(n));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.byteLength !== total * 8) throw new AggregationError(`the saved running sum has ${bytes.byteLength} bytes; this model needs ${total * 8}`);
  let offset = 0;
  if (IS_LITTLE_ENDIAN) {
    // One copy into an aligned buffer, then views: a per-value DataView read is ~10x slower for 1 M values.
    const all = new Float64Array(total);
    new Uint8Array(all.buffer).set(bytes);
    return sizes.map((n) => {
      const sum = all.subarray(offset, offset + n);
      offset += n;
      return sum;
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return sizes.map((n) => {
    const sum = new Float64Array(n);
    for (let i = 0; i < n; i++) sum[i] = view.getFloat64(8 * (offset + i), true);
    offset += n;
    return sum;
  });
}

// Kept as a small monomorphic loop so V8 optimises it once for Float64Array += Float32Array * k.
function addScaled(sum: Float64Array, values: Float32Array, weight: number): void {
  for (let i = 0; i < values.length; i++) {
    sum[i]! += values[i]! * weight;
  }
}
