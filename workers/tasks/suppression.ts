import { SUPPRESSED, type Cell } from "@/protocol/contract";

/**
 * Small-number suppression, applied at the site before anything leaves it. Zero is suppressed
 * too: "none" must look the same as "a few", or an empty cell would itself disclose something.
 */
export function suppress(count: number, threshold: number): Cell {
  return count >= threshold ? count : SUPPRESSED;
}
