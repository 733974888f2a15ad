import { describe, expect, test } from "vitest";
import { splitOf } from "./split";

describe("deterministic person-level split", () => {
  const ids = Array.from({ length: 5000 }, (_, i) => i + 1);
  const share = (split: Parameters<typeof splitOf>[0], name: string) =>
    ids.filter((id) => splitOf(split, id) === name).length / ids.length;

  test("the same seed gives the same split; the fractions are roughly honoured", () => {
    const split = { seed: "job-a", validationFraction: 0.2, testFraction: 0.15 };
    const first = ids.map((id) => splitOf(split, id));
    expect(ids.map((id) => splitOf({ ...split }, id))).toEqual(first);
    expect(share(split, "test")).toBeGreaterThan(0.13);
    expect(share(split, "test")).toBeLessThan(0.17);
    expect(share(split, "validation")).toBeGreaterThan(0.18);
    expect(share(split, "validation")).toBeLessThan(0.22);
    // Without a test fraction (an older hub) the worker still holds a test split out.
    expect(share({ seed: "job-a", validationFraction: 0.2 }, "test")).toBeGreaterThan(0.18);
  });

  test("another seed gives another split; the test split does not depend on the validation fraction", () => {
    const testOf = (seed: string, validationFraction: number) =>
      ids.filter((id) => splitOf({ seed, validationFraction, testFraction: 0.2 }, id) === "test");
    expect(testOf("job-a", 0.2)).not.toEqual(testOf("job-b", 0.2));
    // An evaluation scores the same held-out persons whatever validation fraction training used,
    // and none of them is ever in training's train or validation split.
    expect(testOf("job-a", 0.4)).toEqual(testOf("job-a", 0.1));
    const held = new Set(testOf("job-a", 0.2));
    for (const validationFraction of [0.05, 0.2, 0.5])
      for (const id of ids)
        if (splitOf({ seed: "job-a", validationFraction, testFraction: 0.2 }, id) !== "test")
          expect(held.has(id)).toBe(false);
  });
});
