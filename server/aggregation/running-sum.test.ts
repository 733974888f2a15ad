import { describe, expect, test } from "vitest";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { releaseBuffer } from "@/protocol/release-buffer";
import {
  AggregationError,
  createRunningSum,
  sumFromBytes,
  sumOfParts,
  sumsToBytes,
  type RunningSum,
} from "./running-sum";

const SPEC = [
  { name: "conv1/kernel", shape: [3, 3, 1, 4] },
  { name: "conv1/bias", shape: [4] },
];

// Deterministic pseudo-random updates (mulberry32) so a failure reproduces.
function randomUpdate(seed: number): NamedTensor[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32 - 0.5;
  };
  return SPEC.map(({ name, shape }) => ({
    name,
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next),
  }));
}

const SITES = [
  { id: "KCH", weight: 1200 },
  { id: "GSTT", weight: 37 },
  { id: "UCLH", weight: 90_000 },
  { id: "RFH", weight: 5 },
  { id: "BHR", weight: 640 },
].map((site, i) => ({ ...site, update: randomUpdate(i + 1) }));

/** The mean a round's close reads, tensor by tensor, as a RunningSum's `mean()` gives it. */
const meanOf = (sum: Pick<RunningSum, "meanOf">): NamedTensor[] =>
  SPEC.map(({ name, shape }, t) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    sum.meanOf(t, data);
    return { name, shape: [...shape], data };
  });

function foldInOrder(order: number[]): NamedTensor[] {
  const sum = createRunningSum(SPEC);
  for (const i of order) sum.add(SITES[i]!.id, SITES[i]!.update, SITES[i]!.weight);
  return sum.mean();
}

describe("running weighted sum", () => {
  test("equals the batch weighted mean whatever order the sites report in", () => {
    const totalWeight = SITES.reduce((total, site) => total + site.weight, 0);
    const batchMean = SPEC.map((_, t) =>
      SITES[0]!.update[t]!.data.map(
        (_, i) => SITES.reduce((acc, site) => acc + site.weight * site.update[t]!.data[i]!, 0) / totalWeight,
      ),
    );
    const orders = [
      [0, 1, 2, 3, 4],
      [4, 3, 2, 1, 0],
      [2, 0, 4, 1, 3],
      [3, 1, 0, 4, 2],
    ];
    const results = orders.map(foldInOrder);
    for (const result of results) {
      result.forEach((tensor, t) => {
        tensor.data.forEach((value, i) => expect(Math.abs(value - batchMean[t]![i]!)).toBeLessThanOrEqual(1e-6));
      });
      // Float64 accumulation: the published float32 model is bit-identical across arrival orders.
      expect(result.map((t) => Array.from(t.data))).toEqual(results[0]!.map((t) => Array.from(t.data)));
    }
  });

  test("tracks total weight and contributors, and refuses a second update from one site", () => {
    const sum = createRunningSum(SPEC);
    sum.add("KCH", SITES[0]!.update, 1200);
    sum.add("GSTT", SITES[1]!.update, 37);
    expect(sum.totalWeight).toBe(1237);
    expect(sum.contributors).toEqual(["KCH", "GSTT"]);
    expect(() => sum.add("KCH", SITES[2]!.update, 10)).toThrow(
      new AggregationError("KCH already contributed to this round; a second update is rejected"),
    );
    expect(sum.totalWeight).toBe(1237);
  });

  test("refuses a non-positive weight and an empty mean", () => {
    const sum = createRunningSum(SPEC);
    expect(() => sum.mean()).toThrow(AggregationError);
    expect(() => sum.add("KCH", SITES[0]!.update, 0)).toThrow(
      "KCH reported weight 0; the example count must be positive",
    );
    expect(sum.contributors).toEqual([]);
  });

  test("a clone carries on independently: adding to it leaves the original's sum untouched", () => {
    const sum = createRunningSum(SPEC);
    sum.add("KCH", SITES[0]!.update, 1200);
    const before = sum.mean();
    const copy = sum.clone();
    copy.add("GSTT", SITES[1]!.update, 37);
    expect(sum.mean()).toEqual(before);
    expect(sum.contributors).toEqual(["KCH"]);
    expect(copy.contributors).toEqual(["KCH", "GSTT"]);
    expect(copy.totalWeight).toBe(1237);
    // The copy adds to the sum it started from (a first fold must not treat it as empty).
    const both = createRunningSum(SPEC);
    both.add("KCH", SITES[0]!.update, 1200);
    both.add("GSTT", SITES[1]!.update, 37);
    expect(copy.mean()).toEqual(both.mean());
  });

  test("two processes' parts, one as bytes from the database, read together give the mean of all updates, bit for bit", () => {
    // As a round's close gathers: its own part from memory, the other process's from round_partials.
    const own = createRunningSum(SPEC);
    own.add("KCH", SITES[0]!.update, 1200);
    own.add("GSTT", SITES[1]!.update, 37);
    const other = createRunningSum(SPEC);
    other.add("UCLH", SITES[2]!.update, 90_000);
    other.add("RFH", SITES[3]!.update, 5);
    const third = createRunningSum(SPEC);
    third.add("BHR", SITES[4]!.update, 640);
    const bytes = sumsToBytes(other);
    // A driver's buffer may start at any offset: an unaligned copy reads the same.
    const unaligned = new Uint8Array(bytes.byteLength + 3).subarray(3);
    unaligned.set(bytes);
    for (const stored of [bytes, unaligned]) {
      const gathered = sumOfParts([own, sumFromBytes(SPEC, stored, other.contributors, other.totalWeight)]);
      expect(gathered.contributors).toEqual(["KCH", "GSTT", "UCLH", "RFH"]);
      expect(gathered.totalWeight).toBe(91_242);
      expect(meanOf(gathered)).toEqual(foldInOrder([0, 1, 2, 3]));
    }
    // Three processes: the same as one sum of all five.
    expect(meanOf(sumOfParts([own, other, third]))).toEqual(foldInOrder([0, 1, 2, 3, 4]));
    // Read, not changed: each part still gives its own mean.
    expect(own.mean()).toEqual(foldInOrder([0, 1]));
    expect(() => sumFromBytes(SPEC, bytes.subarray(8), [], 0)).toThrow(AggregationError);
  });

  test("parts that share a site, or are over another model, are refused; no parts has no mean", () => {
    const a = createRunningSum(SPEC);
    a.add("KCH", SITES[0]!.update, 1200);
    const b = createRunningSum(SPEC);
    b.add("KCH", SITES[1]!.update, 37);
    expect(() => sumOfParts([a, b])).toThrow(/KCH is in two parts of the sum/);
    const other = createRunningSum([{ name: "w", shape: [3] }]);
    other.add("GSTT", [{ name: "w", shape: [3], data: new Float32Array(3) }], 5);
    expect(() => sumOfParts([a, other])).toThrow(/different models/);
    const none = sumOfParts([]);
    expect(none.totalWeight).toBe(0);
    expect(() => none.meanOf(0, new Float32Array(36))).toThrow(/nothing to average/);
  });

  test("an update is released once it has been folded, never before, and the mean is as without releasing", () => {
    const sum = createRunningSum(SPEC);
    const released: string[] = [];
    // As the update route does: releasing frees the update's memory, so every view of it reads as empty.
    const release = (site: (typeof SITES)[number], update: NamedTensor[]) => () => {
      for (const tensor of update) releaseBuffer(tensor.data);
      released.push(site.id);
    };
    const add = (site: (typeof SITES)[number]) => {
      const update = site.update.map((t) => ({ ...t, data: t.data.slice() }));
      sum.add(site.id, update, site.weight, release(site, update));
    };
    // Four fold together: the first three wait, read by reference, until the fourth arrives.
    for (const site of SITES.slice(0, 3)) add(site);
    expect(released).toEqual([]);
    add(SITES[3]!);
    expect(released).toEqual(["KCH", "GSTT", "UCLH", "RFH"]);
    // Whatever still waits is folded, then released, when the sum is read.
    add(SITES[4]!);
    expect(released).toHaveLength(4);
    const mean = sum.mean();
    expect(released).toEqual(["KCH", "GSTT", "UCLH", "RFH", "BHR"]);
    expect(mean).toEqual(foldInOrder([0, 1, 2, 3, 4]));
  });

  test("a released sum lets go of the updates still waiting, unfolded, and refuses any use; the next sum's mean is as a fresh one's", () => {
    const sum = createRunningSum(SPEC);
    const released: string[] = [];
    for (const site of SITES.slice(0, 2)) sum.add(site.id, site.update, site.weight, () => released.push(site.id));
    sum.release();
    expect(released).toEqual(["KCH", "GSTT"]);
    const site = SITES[2]!;
    expect(() => sum.add(site.id, site.update, site.weight)).toThrow(AggregationError);
    expect(() => sum.meanOf(0, new Float32Array(36))).toThrow(/released/);
    expect(() => sum.sums).toThrow(/released/);
    expect(() => sum.clone()).toThrow(/released/);
    // The next sum of this model's size is in the released one's memory: its mean is as in fresh memory.
    expect(foldInOrder([4, 2, 0])).toEqual(meanOf(createSumOf([4, 2, 0])));
  });
});

function createSumOf(order: number[]): RunningSum {
  const sum = createRunningSum(SPEC);
  for (const i of order) sum.add(SITES[i]!.id, SITES[i]!.update, SITES[i]!.weight);
  return sum;
}
