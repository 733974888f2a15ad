import { describe, expect, it } from "vitest";
import { buildConceptAncestors, CONCEPT, CONCEPTS } from "./concepts";

describe("curated concepts", () => {
  it("has unique ids and names every id the generator uses", () => {
    const ids = CONCEPTS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of Object.values(CONCEPT)) expect(ids).toContain(id);
  });

  it("builds concept_ancestor with self rows and multi-level ancestry", () => {
    const rows = buildConceptAncestors(CONCEPTS);
    const find = (ancestor: number, descendant: number) =>
      rows.find((r) => r.ancestor === ancestor && r.descendant === descendant);
    expect(find(CONCEPT.cerebralInfarction, CONCEPT.cerebralInfarction)).toMatchObject({ minLevels: 0, maxLevels: 0 });
    expect(find(CONCEPT.cerebrovascularAccident, CONCEPT.cerebralInfarction)).toMatchObject({
      minLevels: 1,
      maxLevels: 1,
    });
    expect(find(CONCEPT.malignantNeoplasticDisease, CONCEPT.primaryMalignantNeoplasmOfProstate)).toMatchObject({
      minLevels: 2,
      maxLevels: 2,
    });
    expect(find(CONCEPT.cerebralInfarction, CONCEPT.cerebrovascularAccident)).toBeUndefined();
  });

  it("rejects a hierarchy naming an unknown parent", () => {
    const broken = [{ ...CONCEPTS[0]!, parents: [999] }];
    expect(() => buildConceptAncestors(broken)).toThrow(/unknown parent 999/);
  });
});
