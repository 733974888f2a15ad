import { z } from "zod";

/**
 * A round's new version is the weighted mean of the sites' updates. Written from one site it would be
 * that site's own update, there for anyone who downloads the version (or the next round's sites) to
 * read off: so no round writes a version from fewer than two sites. The job form proposes three, so
 * that a site cannot take its own update away from the result and see what is left of one other's.
 */
export const MIN_SITES_PER_ROUND = 2;
export const DEFAULT_MIN_SITES_PER_ROUND = 3;

/** The job's minimum sites per round, as a researcher enters it. */
export const ZMinSites = z
  .number({ error: "Enter the minimum sites per round" })
  .int("Enter a whole number of sites")
  .min(
    MIN_SITES_PER_ROUND,
    `At least ${MIN_SITES_PER_ROUND} sites per round: from one site, the new version would be that site's own update`,
  )
  .default(DEFAULT_MIN_SITES_PER_ROUND);

/** The accepted updates a round needs to write a version: the job's minimum, never below the floor (older jobs may have stored 1). */
export function roundQuorum(config: { participation?: { minSites: number } }): number {
  return Math.max(MIN_SITES_PER_ROUND, config.participation?.minSites ?? DEFAULT_MIN_SITES_PER_ROUND);
}
