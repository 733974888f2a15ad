import { describe, expect, test } from "vitest";
import { spreadFloat32 as values } from "@/server/lib/test-support/float-values";
import { BLOCK_VALUES, sumOfSquares } from "./simd-kernel";

const U = 2 ** -53;

/** The scalar loop with the same four partial sums, value i into sum i mod 4. */
function scalarFourSums(data: Float32Array): number {
  const s = [0, 0, 0, 0];
  const whole = data.length - (data.length % 4);
  for (let i = 0; i < whole; i++) s[i % 4]! += data[i]! * data[i]!;
  for (let i = whole; i < data.length; i++) s[0]! += data[i]! * data[i]!;
  return s[0]! + s[1]! + (s[2]! + s[3]!);
}

/** The single running sum validation used before the kernel. */
function sequential(data: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]! * data[i]!;
  return sum;
}

/** The exact sum of squares, as a float64 (one rounding): every float32 is m * 2^e with e >= -149. */
function exact(data: Float32Array): number {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let total = 0n;
  for (const b of bits) {
    const exponent = (b >>> 23) & 0xff;
    const mantissa = BigInt(exponent === 0 ? b & 0x7fffff : (b & 0x7fffff) | 0x800000);
    const e = exponent === 0 ? -149 : exponent - 150;
    total += (mantissa * mantissa) << BigInt(2 * e + 298);
  }
  return Number(total) / 2 ** 298;
}

describe("sum of squares (WebAssembly SIMD)", () => {
  test("equals the scalar loop with four partial sums bit for bit, across block boundaries and tails", () => {
    for (const length of [0, 1, 3, 4, 5, 7, BLOCK_VALUES - 1, BLOCK_VALUES, BLOCK_VALUES + 3, 3 * BLOCK_VALUES + 6]) {
      const data = values(length, length + 1);
      expect(Object.is(sumOfSquares(data), scalarFourSums(data)), `length ${length}`).toBe(true);
    }
  });

  test("reads a view into a larger buffer from its own offset, not the buffer's start", () => {
    const whole = values(1000, 7);
    const view = whole.subarray(13, 13 + 501);
    expect(sumOfSquares(view)).toBe(scalarFourSums(Float32Array.from(view)));
  });

  test("is within (n/4+2)u of the exact sum, and agrees with the sequential sum it replaces within both bounds", () => {
    for (const [length, seed] of [
      [100_003, 1],
      [2 * BLOCK_VALUES + 1, 2],
    ] as const) {
      const data = values(length, seed);
      const truth = exact(data);
      const got = sumOfSquares(data);
      expect(Math.abs(got - truth)).toBeLessThanOrEqual((length / 4 + 2) * U * truth);
      const before = sequential(data);
      expect(Math.abs(before - truth)).toBeLessThanOrEqual((length - 1) * U * truth);
      expect(Math.abs(got - before)).toBeLessThanOrEqual((length / 4 + 2 + length - 1) * U * truth);
    }
  });

  test("a NaN or infinite value anywhere, including the tail, makes the sum non-finite", () => {
    for (const [at, bad] of [
      [0, Number.NaN],
      [BLOCK_VALUES + 2, Number.POSITIVE_INFINITY],
      [2 * BLOCK_VALUES + 4, Number.NEGATIVE_INFINITY],
    ] as const) {
      const data = values(2 * BLOCK_VALUES + 5, 3);
      data[at] = bad;
      expect(Number.isFinite(sumOfSquares(data)), `value ${at} = ${bad}`).toBe(false);
    }
  });

  test("the largest float32 values square without overflow, so a finite update is never called non-finite", () => {
    const data = new Float32Array(BLOCK_VALUES + 1).fill(3.4028234663852886e38);
    const got = sumOfSquares(data);
    expect(Number.isFinite(got)).toBe(true);
    expect(got).toBe(scalarFourSums(data));
  });
});
