import { describe, expect, test } from "vitest";
import { isValidationPerson } from "./split";

describe("deterministic person-level split", () => {
  const ids = Array.from({ length: 5000 }, (_, i) => i + 1);

  test("the same seed gives the same split; the fraction is roughly honoured", () => {
    const split = { seed: "job-a", validationFraction: 0.2 };
    const first = ids.filter((id) => isValidationPerson(split, id));
    expect(ids.filter((id) => isValidationPerson({ ...split }, id))).toEqual(first);
    expect(first.length / ids.length).toBeGreaterThan(0.18);
    expect(first.length / ids.length).toBeLessThan(0.22);
  });

  test("another seed gives another split; a larger fraction only adds persons", () => {
    const a = ids.filter((id) => isValidationPerson({ seed: "job-a", validationFraction: 0.2 }, id));
    const b = ids.filter((id) => isValidationPerson({ seed: "job-b", validationFraction: 0.2 }, id));
    expect(a).not.toEqual(b);
    const wider = new Set(ids.filter((id) => isValidationPerson({ seed: "job-a", validationFraction: 0.4 }, id)));
    expect(a.every((id) => wider.has(id))).toBe(true);
  });
});
