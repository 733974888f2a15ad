import { describe, expect, test } from "vitest";
import { countInterval, isReleasableFigure, releaseCount } from "./disclosure";

describe("released counts", () => {
  const rule = { threshold: 10, base: 5 };

  test("below the threshold, zero included, is suppressed; the rest is rounded to the base, halves up", () => {
    expect([0, 1, 9].map((n) => releaseCount(n, rule))).toEqual(["suppressed", "suppressed", "suppressed"]);
    expect([10, 12, 13, 17, 18, 102].map((n) => releaseCount(n, rule))).toEqual([10, 10, 15, 15, 20, 100]);
  });

  test("a figure is never below the threshold, even when the threshold is not a multiple of the base", () => {
    const odd = { threshold: 11, base: 5 };
    expect([11, 12, 13].map((n) => releaseCount(n, odd))).toEqual([15, 15, 15]);
    expect(isReleasableFigure(10, odd)).toBe(false);
    expect(isReleasableFigure(15, odd)).toBe(true);
    expect(isReleasableFigure(12, rule)).toBe(false);
  });

  test("each figure stands for the interval of counts that produce it", () => {
    expect(countInterval(15, rule, 1e9)).toEqual([13, 17]);
    expect(countInterval(10, rule, 1e9)).toEqual([10, 12]);
    expect(countInterval("suppressed", rule, 99)).toEqual([0, 99]);
    expect(countInterval(15, { threshold: 11, base: 5 }, 1e9)).toEqual([11, 17]);
    expect(countInterval(40, { threshold: 10, base: 10 }, 1e9)).toEqual([35, 44]);
    expect(countInterval(23, { threshold: 10, base: 1 }, 1e9)).toEqual([23, 23]);
    // Every count maps into its own figure's interval.
    for (const r of [rule, { threshold: 11, base: 5 }, { threshold: 10, base: 10 }, { threshold: 3, base: 1 }]) {
      for (let n = 0; n < 200; n++) {
        const [lo, hi] = countInterval(releaseCount(n, r), r, r.threshold - 1);
        expect(n >= lo && n <= hi, `${n} under ${JSON.stringify(r)}`).toBe(true);
      }
    }
  });
});
