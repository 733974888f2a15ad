import { describe, expect, it } from "vitest";
import { pathInWords, valueInWords } from "./change-format";

describe("an approver reads a changed cohort definition in words", () => {
  it("names the new elements' fields instead of their keys", () => {
    expect(pathInWords("cohort.qualifyingCriteria.items.0.criterion.concepts.1.isExcluded")).toBe(
      "Cohort › entry also needs › criterion 1 › event › concept 2 › excluded from the set",
    );
    expect(pathInWords("cohort.extraEntries.2.type")).toBe("Cohort › further entry event 3 › kind of event");
  });

  it("shows concept ids as identifiers, not as quantities", () => {
    expect(valueInWords("cohort.entry.concepts.0.conceptId", 40479572)).toBe("40479572");
    expect(valueInWords("cohort.entry.value.unitConceptId", 8713)).toBe("8713");
    expect(valueInWords("cohort.inclusionRules.0.group.items.0.occurrence.count", 1200)).toBe("1,200");
  });

  it("says which kind of event, which date and which limit in words", () => {
    expect(valueInWords("cohort.entry.type", "condition")).toBe("Diagnosis");
    expect(valueInWords("cohort.entry.type", "drugEra")).toBe("Drug era");
    expect(valueInWords("cohort.inclusionRules.0.group.items.0.occurrence.type", "atMost")).toBe("at most");
    expect(valueInWords("cohort.qualifyingCriteria.items.0.endWindow.eventDate", "start")).toBe("the event's start");
    expect(valueInWords("cohort.entryLimit", "all")).toBe("every one");
  });

  it("shows an added concept or criterion by name, never as JSON", () => {
    expect(valueInWords("cohort.entry.concepts.3", { conceptId: 4046360, name: "Lacunar infarction" })).toBe(
      "Lacunar infarction (concept 4046360)",
    );
    expect(
      valueInWords("cohort.entry.sourceConcepts", [{ conceptId: 45576876, name: "I63.9", isExcluded: true }]),
    ).toBe("I63.9 (concept 45576876), excluded");
    expect(valueInWords("cohort.extraEntries.0", { type: "visit" })).toBe("(in full under Cohort below)");
    expect(
      valueInWords("cohort.inclusionRules.0.group.items.2", { kind: "criterion", criterion: { type: "death" } }),
    ).toBe("(in full under Cohort below)");
  });
});
