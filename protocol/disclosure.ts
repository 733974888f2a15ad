import { SUPPRESSED, type Cell } from "./contract";

/**
 * How a site turns an exact count into the figure that may leave it, and what that figure tells a
 * reader about the exact count. Shared by the site (which applies it), the hub (which re-checks it)
 * and the tests that attack released results.
 *
 * A count below the threshold, zero included, is suppressed. Any other count is rounded to the
 * nearest multiple of `base` (halves up); a count whose rounded value would fall below the threshold
 * is shown as the smallest multiple of `base` at or above the threshold instead, so no released figure
 * is ever below the threshold.
 */
export type CountRule = { threshold: number; base: number };

export function releaseCount(count: number, rule: CountRule): Cell {
  if (count < rule.threshold) return SUPPRESSED;
  const rounded = Math.floor(count / rule.base + 0.5) * rule.base;
  return Math.max(rounded, smallestReleased(rule));
}

/** The smallest figure a released count can show. */
function smallestReleased({ threshold, base }: CountRule): number {
  return Math.ceil(threshold / base) * base;
}

/** True when `value` is a figure `releaseCount` can produce under `rule`. */
export function isReleasableFigure(value: number, rule: CountRule): boolean {
  return Number.isInteger(value) && value % rule.base === 0 && value >= smallestReleased(rule);
}

/** Every exact count a released figure could stand for; a suppressed cell is [0, upper] for a caller-given upper bound. */
export function countInterval(cell: Cell, rule: CountRule, suppressedUpper: number): [number, number] {
  if (cell === SUPPRESSED) return [0, suppressedUpper];
  const below = Math.floor(rule.base / 2);
  const above = Math.ceil(rule.base / 2) - 1;
  const lower = cell === smallestReleased(rule) ? rule.threshold : Math.max(rule.threshold, cell - below);
  return [lower, cell + above];
}
