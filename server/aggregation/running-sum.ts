import { countElements, formatShape, type NamedTensor } from "@/protocol/tensor-codec";
import { createFoldAccumulator } from "./fold-kernel";
import type { TensorSpec } from "./validate-update";

/**
 * Folds site updates into a weighted sum as they arrive, so a round needs one accumulator per
 * tensor however many sites take part (memory O(model), not O(sites x model)).
 *
 * Precision: accumulators are Float64. An update value (24-bit mantissa) times an example count
 * below 2^29 is exact in float64, and a handful of such sums rounds far below float32 resolution,
 * so the mean cast back to float32 does not depend on the order sites reported in. Float32
 * accumulators would make the new global model depend on network timing by a few ulps, and lose
 * small updates next to large weighted sums. The cost is 8 bytes per parameter (80 MB for 10 M).
 * Updates are folded in groups (see below): every product is exact in float64 and their sum is
 * rounded once per addition, so a group adds to the accumulator what single folds would within a
 * few float64 roundings, far below what the float32 mean can show (the order-independence test).
 *
 * Callers validate updates first (validateUpdate); `add` only re-checks what would corrupt memory.
 */
export class AggregationError extends Error {
  override name = "AggregationError";
}

export interface RunningSum {
  /**
   * Folds in one site's update weighted by its example count; each contributor at most once. The
   * update is read until it has been folded, which may be after `add` returns (see below); then
   * `release`, if given, is called: nothing here reads the update again.
   */
  add(contributor: string, update: readonly NamedTensor[], weight: number, release?: () => void): void;
  /** The weighted mean so far, as float32 tensors in manifest order. */
  mean(): NamedTensor[];
  /** Tensor `index` of the weighted mean so far, written into `out` (of that tensor's length): no array of its own. */
  meanOf(index: number, out: Float32Array): void;
  readonly totalWeight: number;
  readonly contributors: readonly string[];
  /** An independent copy, to add to without touching this one. */
  clone(): RunningSum;
  /** The float64 accumulators, for reading parts together (`sumOfParts`) and for handing a partial sum to another process. */
  readonly sums: readonly Float64Array[];
  /**
   * Ends the sum once nothing reads it again (its round closed): its memory goes to the next sum of
   * the same size (fold-kernel.ts), updates still waiting to be folded are released unread, and
   * any later use of the sum throws.
   */
  release(): void;
}

/** A part of a round's sum: a RunningSum, or a partial sum read from another process's bytes. */
export type PartialSum = Pick<RunningSum, "sums" | "contributors" | "totalWeight">;

type Waiting = { update: readonly NamedTensor[]; weight: number; release: (() => void) | undefined };

export function createRunningSum(
  spec: readonly TensorSpec[],
  from?: { sums: Float64Array[]; contributors: readonly string[]; totalWeight: number },
): RunningSum {
  const accumulator = createFoldAccumulator(spec.map((tensor) => countElements(tensor.shape)));
  const sums = accumulator.sums;
  if (from) {
    from.sums.forEach((sum, t) => sums[t]!.set(sum));
    accumulator.markWritten();
  }
  const contributors: string[] = [...(from?.contributors ?? [])];
  const seen = new Set<string>(contributors);
  let totalWeight = from?.totalWeight ?? 0;
  // Updates are folded four at a time (fold-kernel.ts): one pass reads four updates and the
  // accumulators once, so an update costs 8 bytes of memory traffic per value (a plain float32
  // multiply-add costs 12). Until their fourth arrives, or the sum is read, up to three wait here
  // (references, not copies), then fold as a pair and a single.
  let waiting: Waiting[] = [];
  let isReleased = false;
  const checkLive = () => {
    if (isReleased)
      throw new AggregationError("this round's sum was released once its round closed; it can no longer be used");
  };
  const foldWaiting = (group: Waiting[]) => {
    for (let t = 0; t < sums.length; t++)
      accumulator.fold(
        t,
        group.map((w) => w.update[t]!.data),
        group.map((w) => w.weight),
      );
    for (const w of group) w.release?.();
  };
  const flush = () => {
    const [a, b, c] = waiting;
    if (a && b) foldWaiting([a, b]);
    else if (a) foldWaiting([a]);
    if (c) foldWaiting([c]);
    waiting = [];
  };
  function meanOf(index: number, out: Float32Array): void {
    checkLive();
    flush();
    if (totalWeight === 0) throw new AggregationError("no site has contributed yet; there is nothing to average");
    const sum = sums[index];
    if (sum?.length !== out.length) throw new AggregationError(`the sum's tensor ${index} does not match the model's`);
    for (let i = 0; i < sum.length; i++) out[i] = sum[i]! / totalWeight;
  }

  return {
    add(contributor, update, weight, release) {
      checkLive();
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
          throw new AggregationError(
            `tensor ${tensor.name} has ${tensor.data.length} values, ${formatShape(spec[t]!.shape)} needs ${sums[t]!.length}`,
          );
        }
      }
      waiting.push({ update, weight, release });
      if (waiting.length === 4) {
        foldWaiting(waiting);
        waiting = [];
      }
      seen.add(contributor);
      contributors.push(contributor);
      totalWeight += weight;
    },
    mean() {
      return spec.map((tensor, t) => {
        const out = new Float32Array(countElements(tensor.shape));
        meanOf(t, out);
        return { name: tensor.name, shape: [...tensor.shape], data: out };
      });
    },
    meanOf,
    get totalWeight() {
      return totalWeight;
    },
    get contributors() {
      return contributors;
    },
    clone() {
      checkLive();
      flush();
      return createRunningSum(spec, { sums, contributors, totalWeight });
    },
    get sums() {
      checkLive();
      flush();
      return sums;
    },
    release() {
      if (isReleased) return;
      isReleased = true;
      for (const w of waiting) w.release?.();
      waiting = [];
      accumulator.release();
    },
  };
}

/**
 * Parts of one sum over disjoint contributors (the round's parts held by several portal processes),
 * read as their total without adding them into a sum of their own: `meanOf` adds the parts' values
 * as it writes the mean, in the parts' order, so the mean is the one a sum merged from them in
 * that order would give, without a model-sized array and a pass to fill it (for 1 M parameters, 8
 * MB of fresh memory and about 25 ms of a close). The parts are read, never changed; no parts (every
 * update lost) is an empty sum, which has no mean.
 */
export function sumOfParts(parts: readonly PartialSum[]): Pick<RunningSum, "meanOf" | "totalWeight" | "contributors"> {
  const contributors: string[] = [];
  const seen = new Set<string>();
  const first = parts[0]?.sums;
  for (const part of parts) {
    if (part.sums.length !== first!.length || part.sums.some((s, t) => s.length !== first![t]!.length))
      throw new AggregationError("the sums are over different models");
    for (const c of part.contributors) {
      if (seen.has(c)) throw new AggregationError(`${c} is in two parts of the sum; an update is counted once`);
      seen.add(c);
      contributors.push(c);
    }
  }
  const totalWeight = parts.reduce((w, p) => w + p.totalWeight, 0);
  return {
    contributors,
    totalWeight,
    meanOf(index, out) {
      if (totalWeight === 0) throw new AggregationError("no site has contributed yet; there is nothing to average");
      const sums = parts.map((p) => p.sums[index]);
      if (sums.some((s) => s?.length !== out.length))
        throw new AggregationError(`the sum's tensor ${index} does not match the model's`);
      const [a, b, ...rest] = sums as Float64Array[];
      if (!b) for (let i = 0; i < out.length; i++) out[i] = a![i]! / totalWeight;
      else if (rest.length === 0) for (let i = 0; i < out.length; i++) out[i] = (a![i]! + b[i]!) / totalWeight;
      else
        for (let i = 0; i < out.length; i++) {
          let total = a![i]! + b[i]!;
          for (const s of rest) total += s[i]!;
          out[i] = total / totalWeight;
        }
    },
  };
}

/** A partial sum as bytes (float64 little-endian, tensors back to back), as round_partials stores it. */
export function sumsToBytes(sum: RunningSum): Uint8Array {
  const out = new Float64Array(sum.sums.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of sum.sums) {
    out.set(s, at);
    at += s.length;
  }
  return new Uint8Array(out.buffer);
}

/** The inverse of sumsToBytes, for a model of `spec`: a part to read (`sumOfParts`) as views of the bytes, not a sum of its own (no copy). */
export function sumFromBytes(
  spec: readonly TensorSpec[],
  bytes: Uint8Array,
  contributors: readonly string[],
  totalWeight: number,
): PartialSum {
  const lengths = spec.map((t) => countElements(t.shape));
  if (bytes.byteLength !== lengths.reduce((n, l) => n + l, 0) * 8)
    throw new AggregationError(`a partial sum of ${bytes.byteLength} bytes does not fit this model`);
  // Viewed in place when aligned (read into a buffer of its own), copied to an aligned buffer otherwise.
  const all =
    bytes.byteOffset % 8 === 0
      ? new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)
      : new Float64Array(new Uint8Array(bytes).buffer);
  let at = 0;
  const sums = lengths.map((length) => {
    const view = all.subarray(at, at + length);
    at += length;
    return view;
  });
  return { sums, contributors, totalWeight };
}
