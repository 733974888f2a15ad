import { describe, expect, it } from "vitest";
import { safeCallback } from "./safe-callback";

/** Resolves a callback as a browser would, from a page of the portal. */
const landing = (callback: string) => new URL(safeCallback(callback), "https://flip.example.nhs.uk/signin");

describe("safeCallback", () => {
  it("keeps a path on the portal, with its query and fragment", () => {
    expect(safeCallback("/projects/abc?tab=jobs#runs")).toBe("/projects/abc?tab=jobs#runs");
    expect(safeCallback(null)).toBe("/");
    expect(safeCallback("")).toBe("/");
  });

  it.each([
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/%09/evil.example/",
    " //evil.example/",
    "javascript:alert(1)",
    "/\\/evil.example",
  ])("never sends the browser to another host for %j", (callback) => {
    expect(landing(callback).host).toBe("flip.example.nhs.uk");
  });
});
