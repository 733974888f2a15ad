import { describe, expect, it } from "vitest";
import { addGaussianNoise, fillGaussian, secureUniforms } from "./gaussian";

describe("CSPRNG Gaussian noise", () => {
  it("has the asked-for mean and spread (200 000 draws: mean within 5 standard errors, variance within 2 %)", () => {
    const draws = new Float64Array(200_000);
    fillGaussian(draws, 3);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1);
    expect(Math.abs(mean)).toBeLessThan((5 * 3) / Math.sqrt(draws.length));
    expect(Math.abs(variance / 9 - 1)).toBeLessThan(0.02);
    // Tails as a normal's: about 4.55 % beyond two standard deviations.
    const beyond = draws.filter((x) => Math.abs(x) > 6).length / draws.length;
    expect(Math.abs(beyond - 0.0455)).toBeLessThan(0.003);
  });

  it("never repeats itself: two fills differ", () => {
    const a = new Float32Array(64);
    const b = new Float32Array(64);
    fillGaussian(a, 1);
    fillGaussian(b, 1);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it("adds noise to an update in place, and refuses a negative spread", () => {
    const update = [{ name: "w", shape: [3], data: new Float32Array([1, 2, 3]) }];
    addGaussianNoise(update, 0.5);
    expect(Array.from(update[0]!.data)).not.toEqual([1, 2, 3]);
    expect(() => fillGaussian(new Float64Array(2), -1)).toThrow(/≥ 0/);
  });

  it("draws uniforms in [0, 1)", () => {
    const u = secureUniforms(10_000);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((a, b) => a + b, 0) / u.length - 0.5)).toBeLessThan(0.02);
  });
});
