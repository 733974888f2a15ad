import { createRng, hashSeed } from "./random";

/**
 * Per-site population and scanner characteristics. The federation is meant to be non-IID, as real
 * Trusts are: different catchment ages, disease prevalence, and CT/MR scanners that render the same
 * anatomy with different brightness, contrast and noise.
 */

/** Maps a normalised [0,1] intensity to the site scanner's output: ((v^gamma) * contrast + offset) + noise. */
export type ScannerProfile = { offset: number; gamma: number; contrast: number; noise: number };

export type SiteProfile = {
  code: string;
  name: string;
  /** Share of the population drawn from the older (mean 71) rather than the working-age (mean 38) component. */
  olderFraction: number;
  maleFraction: number;
  /** Relative weights of White, Black, Asian. */
  raceWeights: readonly [number, number, number];
  /** Added to the ischaemic-stroke logit: shifts prevalence without changing its risk factors. */
  strokeShift: number;
  /** Added to the prostate-cancer logit among PSA-tested men. */
  prostateShift: number;
  /** Probability that a man aged 50+ has PSA tests on record (40-49: 40% of this). */
  psaTestingRate: number;
  /** Probability of a CT head for another reason (fall, headache) per person aged 60+ (younger: 40% of this). */
  headCtRate: number;
  ct: ScannerProfile;
  mr: ScannerProfile;
};

export const SITE_PROFILES: Readonly<Record<string, SiteProfile>> = {
  KCH: {
    code: "KCH",
    name: "King's College Hospital",
    olderFraction: 0.42,
    maleFraction: 0.49,
    raceWeights: [0.55, 0.3, 0.15],
    strokeShift: 0.35, // hyperacute stroke unit: more stroke admissions
    prostateShift: 0.25,
    psaTestingRate: 0.6,
    headCtRate: 0.1,
    ct: { offset: 0.0, gamma: 1.0, contrast: 1.0, noise: 6 },
    mr: { offset: 0.02, gamma: 1.0, contrast: 1.0, noise: 5 },
  },
  GSTT: {
    code: "GSTT",
    name: "Guy's and St Thomas'",
    olderFraction: 0.32,
    maleFraction: 0.5,
    raceWeights: [0.6, 0.25, 0.15],
    strokeShift: -0.2,
    prostateShift: 0.6, // regional urology cancer centre
    psaTestingRate: 0.7,
    headCtRate: 0.08,
    ct: { offset: 0.06, gamma: 0.85, contrast: 0.9, noise: 9 },
    mr: { offset: -0.03, gamma: 1.1, contrast: 1.1, noise: 7 },
  },
  UCLH: {
    code: "UCLH",
    name: "University College London Hospitals",
    olderFraction: 0.55,
    maleFraction: 0.47,
    raceWeights: [0.65, 0.15, 0.2],
    strokeShift: 0.0,
    prostateShift: -0.1,
    psaTestingRate: 0.5,
    headCtRate: 0.12,
    ct: { offset: -0.05, gamma: 1.2, contrast: 1.12, noise: 4 },
    mr: { offset: 0.0, gamma: 0.9, contrast: 0.95, noise: 4 },
  },
};

/** The named profile, or for any other site code a plausible one derived from (code, seed). */
export function resolveSiteProfile(code: string, seed: number): SiteProfile {
  const known = SITE_PROFILES[code.toUpperCase()];
  if (known) return known;
  const rng = createRng(hashSeed("site-profile", code.toUpperCase(), seed));
  const scanner = (): ScannerProfile => ({
    offset: rng.uniform(-0.06, 0.06),
    gamma: rng.uniform(0.8, 1.25),
    contrast: rng.uniform(0.85, 1.15),
    noise: rng.uniform(3, 10),
  });
  return {
    code: code.toUpperCase(),
    name: `${code.toUpperCase()} (synthetic)`,
    olderFraction: rng.uniform(0.3, 0.55),
    maleFraction: rng.uniform(0.46, 0.52),
    raceWeights: [rng.uniform(0.5, 0.8), rng.uniform(0.1, 0.3), rng.uniform(0.1, 0.25)],
    strokeShift: rng.uniform(-0.3, 0.4),
    prostateShift: rng.uniform(-0.3, 0.6),
    psaTestingRate: rng.uniform(0.45, 0.7),
    headCtRate: rng.uniform(0.07, 0.13),
    ct: scanner(),
    mr: scanner(),
  };
}
