import { describe, expect, it } from "vitest";
import { computeRdp, epsilonFromRdp, epsilonOf, logErfc } from "./rdp";

/**
 * Reference figures are the ones TensorFlow Privacy's own tests assert, for stated parameters:
 *   tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py
 *     (test_compute_rdp_sequence, test_compute_rdp_scalar, test_get_privacy_spent_check_target_delta)
 *   tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py
 *     (test_compute_dp_sgd_privacy: n, batch size, noise multiplier, epochs, δ → ε and the optimal order),
 *     computed there by dp_accounting's RdpAccountant with the orders of compute_dp_sgd_privacy_lib.py.
 * Each is checked to within 1 % (most agree to 1e-4).
 */
const within = (actual: number, expected: number, relative = 0.01) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.abs(expected));

const TFP_DP_SGD_ORDERS = [
  1.25,
  1.5,
  1.75,
  2,
  2.25,
  2.5,
  3,
  3.5,
  4,
  4.5,
  ...Array.from({ length: 59 }, (_, i) => 5 + i),
  128,
  256,
  512,
];

function dpSgdEpsilon(n: number, batchSize: number, noiseMultiplier: number, epochs: number, delta: number) {
  const steps = Math.ceil((epochs * n) / batchSize);
  return epsilonOf([{ samplingRate: batchSize / n, noiseMultiplier, steps }], delta, TFP_DP_SGD_ORDERS);
}

describe("the RDP accountant against TensorFlow Privacy's published figures", () => {
  it("gives the sampled Gaussian's RDP at fractional, integer and large orders (q = 0.01, σ = 2.5, 50 steps)", () => {
    const rdp = computeRdp([{ samplingRate: 0.01, noiseMultiplier: 2.5, steps: 50 }], [1.5, 2.5, 5, 50, 100]);
    const expected = [6.5007e-4, 1.0854e-3, 2.1808e-3, 2.3846e-2, 1.6742e2];
    rdp.forEach((value, k) => within(value, expected[k]!, 1e-3));
  });

  it("gives the RDP of 10 steps at q = 0.1, σ = 2, order 5", () => {
    within(computeRdp([{ samplingRate: 0.1, noiseMultiplier: 2, steps: 10 }], [5])[0]!, 0.07737, 1e-3);
  });

  it("reproduces compute_dp_sgd_privacy: 60 000 examples, batch 150, σ = 1.3, 15 epochs, δ = 1e-5 → ε = 0.7242 at order 19", () => {
    const spent = dpSgdEpsilon(60_000, 150, 1.3, 15, 1e-5);
    within(spent.epsilon, 0.7242234026109595);
    expect(spent.order).toBe(19);
  });

  it("reproduces compute_dp_sgd_privacy: 100 000 examples, batch 100, σ = 1.0, 30 epochs, δ = 1e-7 → ε = 1.4155 at order 13", () => {
    const spent = dpSgdEpsilon(100_000, 100, 1.0, 30, 1e-7);
    within(spent.epsilon, 1.4154988495444845);
    expect(spent.order).toBe(13);
  });

  it("converts a constant RDP curve (pure DP) to ε = 1.32784 at δ = 1e-5 at the largest order", () => {
    const orders = Array.from({ length: 31 }, (_, i) => 2 + i);
    const spent = epsilonFromRdp(
      orders,
      orders.map(() => 1.1),
      1e-5,
    );
    within(spent.epsilon, 1.32783806176, 1e-6);
    expect(spent.order).toBe(32);
  });

  it("finds ε = 1 at δ = 1e-6 for the unsampled Gaussian with σ = 4.530877117 over a fine grid of orders", () => {
    const orders = Array.from({ length: 9900 }, (_, i) => 1 + (i + 1) / 100);
    within(epsilonOf([{ samplingRate: 1, noiseMultiplier: 4.530877117, steps: 1 }], 1e-6, orders).epsilon, 1, 1e-3);
  });
});

describe("the RDP accountant's edge cases", () => {
  it("composes: two events cost what their sum of steps costs", () => {
    const one = computeRdp([{ samplingRate: 0.02, noiseMultiplier: 1.1, steps: 300 }]);
    const split = computeRdp([
      { samplingRate: 0.02, noiseMultiplier: 1.1, steps: 100 },
      { samplingRate: 0.02, noiseMultiplier: 1.1, steps: 200 },
    ]);
    split.forEach((value, k) => within(value, one[k]!, 1e-12));
  });

  it("spends nothing without data or steps and everything without noise", () => {
    expect(epsilonOf([{ samplingRate: 0, noiseMultiplier: 1, steps: 10 }], 1e-5).epsilon).toBe(0);
    expect(epsilonOf([{ samplingRate: 0.5, noiseMultiplier: 1, steps: 0 }], 1e-5).epsilon).toBe(0);
    expect(epsilonOf([{ samplingRate: 1, noiseMultiplier: 0, steps: 1 }], 1e-5).epsilon).toBe(Infinity);
  });

  it("grows with rounds and shrinks with noise", () => {
    const eps = (steps: number, sigma: number) =>
      epsilonOf([{ samplingRate: 1, noiseMultiplier: sigma, steps }], 1e-5).epsilon;
    expect(eps(20, 1)).toBeGreaterThan(eps(10, 1));
    expect(eps(10, 2)).toBeLessThan(eps(10, 1));
  });

  it("refuses settings that are not a Gaussian mechanism, naming the setting", () => {
    expect(() => computeRdp([{ samplingRate: 1.5, noiseMultiplier: 1, steps: 1 }])).toThrow(/sampling rate/);
    expect(() => computeRdp([{ samplingRate: 0.1, noiseMultiplier: -1, steps: 1 }])).toThrow(/noise multiplier/);
    expect(() => computeRdp([{ samplingRate: 0.1, noiseMultiplier: 1, steps: 1.5 }])).toThrow(/steps/);
    expect(() => epsilonOf([{ samplingRate: 0.1, noiseMultiplier: 1, steps: 1 }], 0)).toThrow(/δ/);
  });

  it("computes log erfc across its range (erfc(0.5) = 0.4795001222, erfc(3) = 2.209049700e-5, erfc(30) ≈ e^-900)", () => {
    within(Math.exp(logErfc(0.5)), 0.4795001221869535, 1e-12);
    within(Math.exp(logErfc(3)), 2.209049699858544e-5, 1e-10);
    within(Math.exp(logErfc(-1)), 1.8427007929497148, 1e-12);
    within(logErfc(30), -900 - Math.log(30 * Math.sqrt(Math.PI)) - 1 / 1800, 1e-9);
  });
});
