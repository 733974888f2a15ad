import { describe, expect, it } from "vitest";
import { isDatabaseShutdown } from "./errors";

describe("isDatabaseShutdown", () => {
  it("finds an admin or crash shutdown anywhere in the cause chain, and nothing else", () => {
    const pgError = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    expect(isDatabaseShutdown(new Error("Failed query: begin", { cause: pgError }))).toBe(true);
    expect(isDatabaseShutdown(Object.assign(new Error("the database system is starting up"), { code: "57P03" }))).toBe(
      true,
    );
    expect(
      isDatabaseShutdown(
        new Error("Failed query", { cause: Object.assign(new Error("relation does not exist"), { code: "42P01" }) }),
      ),
    ).toBe(false);
    expect(isDatabaseShutdown(undefined)).toBe(false);
  });
});
