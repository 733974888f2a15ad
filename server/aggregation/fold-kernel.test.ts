import { describe, expect, test } from "vitest";
import { spreadFloat32 as values } from "@/server/lib/test-support/float-values";
import { accumulatorMemory, createFoldAccumulator, FOLD_BLOCK_VALUES } from "./fold-kernel";

/** The scalar loops the kernel replaced, one value at a time in float64. */
function scalarFold(sum: Float64Array, v: readonly Float32Array[], w: readonly number[]): void {
  for (let i = 0; i < sum.length; i++) {
    if (v.length === 4) sum[i]! += v[0]![i]! * w[0]! + v[1]![i]! * w[1]! + (v[2]![i]! * w[2]! + v[3]![i]! * w[3]!);
    else if (v.length === 2) sum[i]! += v[0]![i]! * w[0]! + v[1]![i]! * w[1]!;
    else sum[i]! += v[0]![i]! * w[0]!;
  }
}

const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length));

describe("fold kernel (WebAssembly SIMD)", () => {
  test("folds one, two and four updates bit for bit as the scalar loops do, across blocks and tails", () => {
    const lengths = [
      0,
      1,
      3,
      4,
      5,
      7,
      FOLD_BLOCK_VALUES - 1,
      FOLD_BLOCK_VALUES,
      FOLD_BLOCK_VALUES + 3,
      2 * FOLD_BLOCK_VALUES + 6,
    ];
    const accumulator = createFoldAccumulator(lengths);
    const expected = lengths.map((length) => new Float64Array(length));
    const weights = [1200, 37, 90_000, 5, 640, 3, 2 ** 28 + 1];
    let seed = 1;
    // Several groups in turn, so each fold adds to sums earlier folds left (and padding stays zero).
    for (const k of [4, 2, 1, 4, 1]) {
      lengths.forEach((length, t) => {
        const group = Array.from({ length: k }, () => values(length, seed++));
        const w = weights.slice(seed % 3, (seed % 3) + k);
        accumulator.fold(t, group, w);
        scalarFold(expected[t]!, group, w);
      });
    }
    lengths.forEach((length, t) => expect(bits(accumulator.sums[t]!), `length ${length}`).toEqual(bits(expected[t]!)));
  });

  test("reads updates that are views into larger buffers from their own offsets", () => {
    const whole = values(3 * FOLD_BLOCK_VALUES, 9);
    const group = [0, 1, 2, 3].map((j) => whole.subarray(13 + j * 1001, 13 + j * 1001 + FOLD_BLOCK_VALUES + 2));
    const accumulator = createFoldAccumulator([FOLD_BLOCK_VALUES + 2]);
    accumulator.fold(0, group, [1, 2, 3, 4]);
    const expected = new Float64Array(FOLD_BLOCK_VALUES + 2);
    scalarFold(
      expected,
      group.map((view) => Float32Array.from(view)),
      [1, 2, 3, 4],
    );
    expect(bits(accumulator.sums[0]!)).toEqual(bits(expected));
  });

  test("each accumulator has sums of its own, and tensors do not overlap", () => {
    const first = createFoldAccumulator([5, 6]);
    const second = createFoldAccumulator([5, 6]);
    first.fold(0, [new Float32Array(5).fill(1)], [2]);
    expect(Array.from(first.sums[0]!)).toEqual([2, 2, 2, 2, 2]);
    expect(Array.from(first.sums[1]!)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(second.sums[0]!)).toEqual([0, 0, 0, 0, 0]);
  });

  test("adds to sums written from outside once told they were (a sum that starts as a copy)", () => {
    const accumulator = createFoldAccumulator([6]);
    accumulator.sums[0]!.set([1, 2, 3, 4, 5, 6]);
    accumulator.markWritten();
    accumulator.fold(0, [new Float32Array(6).fill(0.5)], [2]);
    expect(Array.from(accumulator.sums[0]!)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  test("a released sum's memory is the next same-sized sum's, zeroed; the released sum's views read as empty and it folds no more", () => {
    // A size no other test uses, so the memory kept is this test's.
    const lengths = [3 * FOLD_BLOCK_VALUES + 5, 7];
    const released = createFoldAccumulator(lengths);
    for (const t of [0, 1]) released.fold(t, [values(lengths[t]!, 3 + t)], [900]);
    const stale = released.sums[0]!;
    released.release();
    released.release();
    expect(stale.length).toBe(0);
    expect(() => released.fold(0, [values(lengths[0]!, 5)], [1])).toThrow("released");

    const before = accumulatorMemory();
    const next = createFoldAccumulator(lengths);
    expect(accumulatorMemory()).toMatchObject({ reused: before.reused + 1, kept: before.kept - 1 });
    // Zeroed: a tensor not folded yet reads as zero, and a fold adds to zero, bit for bit as in fresh memory.
    expect(next.sums[1]!.every((v) => v === 0)).toBe(true);
    next.markWritten();
    const update = values(lengths[0]!, 11);
    next.fold(0, [update], [37]);
    const expected = new Float64Array(lengths[0]!);
    scalarFold(expected, [update], [37]);
    expect(bits(next.sums[0]!)).toEqual(bits(expected));
    // Another size gets memory of its own.
    createFoldAccumulator([lengths[0]! + 100_000]);
    expect(accumulatorMemory().allocated).toBe(before.allocated + 1);
  });

  test("refuses a group of three, which has no kernel", () => {
    const accumulator = createFoldAccumulator([4]);
    const one = new Float32Array(4);
    expect(() => accumulator.fold(0, [one, one, one], [1, 1, 1])).toThrow("one, two or four updates");
  });
});
