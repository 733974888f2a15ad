import { describe, expect, it } from "vitest";
import { estimateEpsilon, roundRdp, siteNoiseStd, ZDifferentialPrivacy } from "./dp-settings";
import { epsilonOf } from "./rdp";

const shape = { exampleCount: 4000, batchSize: 32, localEpochs: 1 };

describe("a job's differential-privacy settings", () => {
  it("costs a site-level round what the unsampled Gaussian costs, whatever the cohort", () => {
    const dp = { noiseMultiplier: 1.2, delta: 1e-5 };
    const expected = epsilonOf([{ samplingRate: 1, noiseMultiplier: 1.2, steps: 10 }], 1e-5).epsilon;
    expect(estimateEpsilon(dp, 10, shape)).toBeCloseTo(expected, 10);
    expect(estimateEpsilon(dp, 10, { ...shape, exampleCount: 50 })).toBeCloseTo(expected, 10);
  });

  it("with DP-SGD takes the tighter bound of the two at each order", () => {
    const weak = { noiseMultiplier: 0.3, delta: 1e-5 };
    const withSgd = { ...weak, exampleLevel: { noiseMultiplier: 1.1, clipNorm: 1 } };
    expect(estimateEpsilon(withSgd, 5, shape)).toBeLessThan(estimateEpsilon(weak, 5, shape));
    roundRdp(withSgd, shape).forEach((r, k) => expect(r).toBeLessThanOrEqual(roundRdp(weak, shape)[k]!));
  });

  it("splits the noise variance between the threshold's sites under secure aggregation", () => {
    const dp = { noiseMultiplier: 1, delta: 1e-5 };
    expect(siteNoiseStd(dp, 2, null)).toBe(2);
    const share = siteNoiseStd(dp, 2, 4);
    expect(4 * share * share).toBeCloseTo(4, 12);
  });

  it("refuses settings that would protect nothing, saying why", () => {
    const parsed = ZDifferentialPrivacy.safeParse({ noiseMultiplier: 0.1, delta: 0.01 });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.message)).toEqual([
      "A noise multiplier below 0.3 protects almost nothing",
      "δ at most 0.001; it should be well below 1 / the number of patients",
    ]);
  });
});
