import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTimestamp } from "./iso-timestamp";

describe("isoTimestamp", () => {
  it("writes what toISOString writes, over every date JavaScript can hold", () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(isoTimestamp(date)).toBe(date.toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it("gets the edges of days, leap years and the supported years right", () => {
    for (const text of [
      "0000-01-01T00:00:00.000Z",
      "0000-02-29T23:59:59.999Z",
      "1900-02-28T12:00:00.001Z",
      "1969-12-31T23:59:59.999Z",
      "1970-01-01T00:00:00.000Z",
      "2000-02-29T00:00:00.000Z",
      "2024-12-31T23:59:59.999Z",
      "2100-03-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
      "+010000-01-01T00:00:00.000Z",
      "-000001-12-31T23:59:59.999Z",
    ])
      expect(isoTimestamp(new Date(text))).toBe(text);
  });
});
