import { describe, expect, test } from "vitest";
import { createDiscreteGaussian } from "./discrete-gaussian";

/**
 * The count noise has the distribution it claims. With n draws the sample mean's standard error is
 * σ/√n and the sample variance's is about σ²·√(2/n); the tolerances are several standard errors, so
 * a correct sampler fails them with negligible probability and a wrong scale (σ for σ², a missing factor of 2 or a missing
 * square) fails them surely.
 */
const DRAWS = 100_000;

function moments(sigma: number) {
  const draw = createDiscreteGaussian(sigma);
  const xs = Array.from({ length: DRAWS }, draw);
  const mean = xs.reduce((a, x) => a + x, 0) / DRAWS;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (DRAWS - 1);
  return { xs, mean, variance };
}

describe("discrete Gaussian noise", () => {
  test.each([0.7, 3, 12.5])("σ = %s: integers, centred, with variance σ² (within 6 standard errors)", (sigma) => {
    const { xs, mean, variance } = moments(sigma);
    expect(xs.every(Number.isInteger)).toBe(true);
    // For σ ≥ 1 the discrete Gaussian's variance is σ² to within 1e-6 relative (CKS 2020, Cor. 9); for 0.7 slightly less.
    const trueVariance = sigma >= 1 ? sigma * sigma : exactVariance(sigma);
    expect(Math.abs(mean)).toBeLessThan((6 * sigma) / Math.sqrt(DRAWS));
    expect(Math.abs(variance - trueVariance)).toBeLessThan(6 * trueVariance * Math.sqrt(2 / DRAWS));
  });

  test("P(X = 0) matches the discrete Gaussian's mass at 0, which a continuous Gaussian rounded would miss", () => {
    const sigma = 0.7;
    const { xs } = moments(sigma);
    const share = xs.filter((x) => x === 0).length / DRAWS;
    const p0 = 1 / normaliser(sigma);
    expect(Math.abs(share - p0)).toBeLessThan(6 * Math.sqrt((p0 * (1 - p0)) / DRAWS));
  });

  test("a σ that is not a finite positive number is refused", () => {
    expect(() => createDiscreteGaussian(0)).toThrow(/above 0/);
    expect(() => createDiscreteGaussian(Number.NaN)).toThrow(/above 0/);
  });
});

const normaliser = (sigma: number) => {
  let z = 0;
  for (let x = -60; x <= 60; x++) z += Math.exp(-(x * x) / (2 * sigma * sigma));
  return z;
};
function exactVariance(sigma: number) {
  let m2 = 0;
  for (let x = -60; x <= 60; x++) m2 += x * x * Math.exp(-(x * x) / (2 * sigma * sigma));
  return m2 / normaliser(sigma);
}
