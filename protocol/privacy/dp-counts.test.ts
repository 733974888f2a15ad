import { describe, expect, test } from "vitest";
import { countL2Sensitivity, countNoiseSigma, countRdp, ZCountPrivacy } from "./dp-counts";
import { DEFAULT_ORDERS, epsilonFromRdp } from "./rdp";

describe("DP cohort count settings", () => {
  test("one count's RDP converts back to exactly the ε asked for, at the δ asked for", () => {
    for (const dp of [
      { epsilon: 0.5, delta: 1e-6 },
      { epsilon: 1, delta: 1e-5 },
      { epsilon: 4, delta: 1e-8 },
    ]) {
      const { epsilon } = epsilonFromRdp(DEFAULT_ORDERS, countRdp(dp), dp.delta);
      expect(epsilon).toBeCloseTo(dp.epsilon, 9);
    }
  });

  test("σ grows with the L2 sensitivity √(steps + 2) and shrinks as ε grows", () => {
    expect(countL2Sensitivity(1)).toBeCloseTo(Math.sqrt(3), 12);
    const dp = { epsilon: 1, delta: 1e-5 };
    expect(countNoiseSigma(dp, 7) / countNoiseSigma(dp, 2)).toBeCloseTo(Math.sqrt(9 / 4), 9);
    expect(countNoiseSigma({ ...dp, epsilon: 2 }, 2)).toBeLessThan(countNoiseSigma(dp, 2));
  });

  test("settings outside the limits are refused with the reason", () => {
    const issues = ZCountPrivacy.safeParse({ epsilon: 50, delta: 0.1 }).error?.issues.map((i) => i.message);
    expect(issues).toEqual([expect.stringMatching(/ε at most 10/), expect.stringMatching(/δ at most/)]);
  });
});
