import { describe, expect, test } from "vitest";
import { windowIntensities } from "./images";

describe("windowIntensities", () => {
  // A toy slice: air (0.02), tissue around 0.45 with a little noise, a bright rim (0.9), a darker spot (0.3).
  const slice = Float32Array.from({ length: 400 }, (_, i) =>
    i < 150 ? 0.02 : i < 170 ? 0.9 : i < 180 ? 0.3 : 0.45 + 0.02 * Math.sin(i),
  );

  test("centres tissue on 0, saturates air and bone, keeps a subtle darkening well below tissue", () => {
    const out = windowIntensities(slice);
    expect(out.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(out[0]).toBe(-1);
    expect(out[160]).toBe(1);
    expect(Math.abs(out[300]!)).toBeLessThan(0.3);
    expect(out[175]!).toBeLessThan(-0.9);
  });

  test("is unchanged by a scanner's brightness offset and gain", () => {
    const shifted = slice.map((v) => v * 0.8 + 0.1);
    const a = windowIntensities(slice);
    const b = windowIntensities(shifted);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
  });

  test("a flat image gives zeros, not NaN", () => {
    expect(windowIntensities(new Float32Array(16).fill(0.5)).every((v) => v === 0)).toBe(true);
  });
});
