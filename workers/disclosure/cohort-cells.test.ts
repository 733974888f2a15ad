import { describe, expect, test } from "vitest";
import { findDisclosure, protectCohortCells, type CohortCounts } from "./cohort-cells";

const S = "suppressed";
const exact = { threshold: 10, base: 1 };
const rounded = { threshold: 10, base: 5 };

function counts(attrition: number[], ageBands: number[], sex: number[]): CohortCounts {
  return { attrition, ageBands, sex };
}

describe("complementary suppression within one result", () => {
  test("finding: the total minus the shown age bands gave the one suppressed band", () => {
    const cells = protectCohortCells(counts([100], [10, 10, 10, 10, 10, 10, 12, 10, 7, 11], [50, 50, 0]), exact);
    // 100 minus the nine shown bands would be the 7: the smallest other band goes too.
    expect(cells.ageBands).toEqual([S, 10, 10, 10, 10, 10, 12, 10, S, 11]);
    expect(findDisclosure(cells, exact)).toBeNull();
  });

  test("finding: the difference of consecutive attrition steps gave how many persons a rule excluded", () => {
    const cells = protectCohortCells(counts([120, 116, 90], [0, 0, 0, 0, 30, 30, 30, 0, 0, 0], [45, 45, 0]), exact);
    // 120 - 116 = 4 persons excluded by rule 1: step 1 goes too.
    expect(cells.attrition).toEqual([120, S, 90]);
    expect(findDisclosure(cells, exact)).toBeNull();
  });

  test("the total minus two shown sex cells gave the third", () => {
    const cells = protectCohortCells(counts([57], [0, 0, 0, 0, 0, 0, 57, 0, 0, 0], [30, 24, 3]), exact);
    expect(cells.sex).toEqual([30, S, S]);
  });

  test("rounding alone can leave a small difference pinned; the check reasons with the rounding intervals", () => {
    // 53 and 50 round to 55 and 50: the rule excluded between 1 and 9 persons.
    const cells = protectCohortCells(counts([53, 50], [0, 0, 0, 0, 0, 50, 0, 0, 0, 0], [25, 25, 0]), rounded);
    expect(findDisclosure({ attrition: [55, 50], ageBands: cells.ageBands, sex: cells.sex }, rounded)).toEqual({
      type: "excluded",
      step: 1,
    });
    expect(cells.attrition).toEqual([S, 50]);
    // 52 and 50 both show as 50: the exclusion could be none, so nothing more is suppressed.
    const safe = protectCohortCells(counts([52, 50], [0, 0, 0, 0, 0, 50, 0, 0, 0, 0], [25, 25, 0]), rounded);
    expect(safe.attrition).toEqual([50, 50]);
  });

  test("a result with nothing to give away keeps every figure", () => {
    const cells = protectCohortCells(counts([400, 300], [0, 0, 50, 50, 50, 50, 50, 50, 0, 0], [150, 150, 0]), exact);
    expect(cells).toEqual({
      attrition: [400, 300],
      ageBands: [S, S, 50, 50, 50, 50, 50, 50, S, S],
      sex: [150, 150, S],
    });
  });

  test("cells the caller forces out (found by the differencing check) stay out and are complemented", () => {
    const forced = [{ group: "ageBands" as const, index: 4 }];
    const cells = protectCohortCells(
      counts([200], [10, 10, 10, 10, 100, 20, 10, 10, 10, 10], [100, 100, 0]),
      exact,
      forced,
    );
    // 200 minus the other bands would give the forced cell exactly: a sibling goes too.
    expect(cells.ageBands[4]).toBe(S);
    expect(cells.ageBands.filter((c) => c === S)).toHaveLength(2);
    expect(findDisclosure(cells, exact, forced)).toBeNull();
  });
});
