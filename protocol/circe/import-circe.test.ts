import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { ZCohortDefinition } from "../cohort-definition";
import { exportCirce } from "./export-circe";
import { importCirce } from "./import-circe";

const fixture = (id: number) => readFileSync(path.join(import.meta.dirname, "fixtures", `${id}.json`), "utf8");

function imported(id: number) {
  const result = importCirce(fixture(id));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result;
}

describe("importing real PhenotypeLibrary definitions", () => {
  test("Cerebral infarction (609): every event in an observation period, descendants included", () => {
    const { definition, notes } = imported(609);
    expect(definition.entry).toEqual({
      type: "condition",
      concepts: [
        {
          conceptId: 443454,
          name: "Cerebral infarction",
          includeDescendants: true,
          isExcluded: false,
          includeMapped: false,
        },
      ],
    });
    expect(definition).toMatchObject({
      observationWindow: { priorDays: 0, postDays: 0 },
      entryLimit: "all",
      qualifiedLimit: "first",
      expressionLimit: "all",
      inclusionRules: [],
    });
    expect(notes).toEqual([
      { path: "EndStrategy", message: expect.stringContaining("exit date") },
      { path: "CollapseSettings", message: expect.stringContaining("eras") },
    ]);
  });

  test("Ischemic stroke with inpatient admission (75): the visit requirement becomes qualifying criteria with both windows", () => {
    const { definition } = imported(75);
    expect(definition.entry.type).toBe("condition");
    expect(definition.qualifyingCriteria).toEqual({
      kind: "group",
      operator: "OR",
      items: [
        {
          kind: "criterion",
          criterion: {
            type: "visit",
            concepts: expect.arrayContaining([expect.objectContaining({ conceptId: 9201 })]),
          },
          window: { endDays: 1 },
          endWindow: { startDays: 0 },
          exclude: false,
        },
      ],
    });
    expect(definition.qualifiedLimit).toBe("all");
  });

  test("Type 1 diabetes (1193): 'exactly 0' rules become exclusions that ignore observation periods", () => {
    const { definition } = imported(1193);
    expect(definition.entryLimit).toBe("first");
    expect(definition.inclusionRules.map((r) => r.name)).toEqual([
      "no Type 2 diabetes mellitus specific diagnosis on or prior to T1DM",
      "no secondary diabetes diagnosis on or prior to T1DM",
    ]);
    expect(definition.inclusionRules[0]!.group.items[0]).toMatchObject({
      kind: "criterion",
      exclude: true,
      ignoreObservationPeriod: true,
      window: { endDays: 0 },
    });
  });

  test("Essential hypertension (770) and Type 2 diabetes (957) import", () => {
    expect(imported(770).definition.entryLimit).toBe("first");
    expect(imported(957).definition.qualifyingCriteria).toBeDefined();
  });

  test("Earliest prostate cancer among adult males (1030): age and sex at the entry event, before the first-event limit", () => {
    const { definition, notes } = imported(1030);
    expect(definition.entry).toMatchObject({ type: "condition", age: { min: 18 }, sex: ["male"] });
    expect(definition.entryLimit).toBe("first");
    expect(definition.demographics).toBeUndefined();
    expect(notes).toEqual([]);
  });

  test.each([
    [
      1089,
      "InclusionRules[0].expression.CriteriaList[0].Criteria.ConditionOccurrence.CorrelatedCriteria",
      "criteria nested inside a criterion are supported only on a single entry event",
    ],
    [
      1091,
      "InclusionRules[0].expression.Groups[0].CriteriaList[1].Criteria.Measurement.RangeLow",
      "RangeLow in a Measurement criterion is not supported",
    ],
    [
      1093,
      "PrimaryCriteria.CriteriaList[1].ProcedureOccurrence.CodesetId",
      "a criterion without a concept set (any event of the domain) is not supported",
    ],
  ])("phenotype %i is refused at %s", (id, at, why) => {
    const result = importCirce(fixture(id));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.path).toBe(at);
    expect(result.errors[0]!.message).toContain(why);
  });
});

describe("bad input", () => {
  test.each([
    ["not JSON", "{", "(root)", "not valid JSON"],
    ["not an object", "[1]", "(root)", "must be a JSON object"],
    ["no entry events", "{}", "PrimaryCriteria", "a cohort needs entry events"],
    [
      "an unknown concept set",
      JSON.stringify({ PrimaryCriteria: { CriteriaList: [{ ConditionOccurrence: { CodesetId: 4 } }] } }),
      "PrimaryCriteria.CriteriaList[0].ConditionOccurrence.CodesetId",
      "concept set 4 is not among ConceptSets",
    ],
    [
      "an unknown top-level element",
      JSON.stringify({ ...JSON.parse(fixture(609)), Mystery: { a: 1 } }),
      "Mystery",
      "not supported",
    ],
    [
      "a date restriction",
      fixture(609).replace(
        '"ConditionTypeExclude": false',
        '"ConditionTypeExclude": false, "OccurrenceStartDate": {"Value": "2020-01-01", "Op": "gt"}',
      ),
      "PrimaryCriteria.CriteriaList[0].ConditionOccurrence.OccurrenceStartDate",
      "not supported",
    ],
  ])("%s", (_, input, at, why) => {
    const result = importCirce(input);
    expect(result).toMatchObject({ ok: false, errors: [{ path: at, message: expect.stringContaining(why) }] });
  });
});

describe("exporting to Circe", () => {
  test.each([609, 75, 770, 1193, 957, 1030])("phenotype %i survives export and re-import unchanged", (id) => {
    const { definition } = imported(id);
    const exported = exportCirce(definition);
    if (!exported.ok) throw new Error(exported.message);
    const again = importCirce(JSON.stringify(exported.json));
    if (!again.ok) throw new Error(JSON.stringify(again.errors));
    expect(again.definition).toEqual(definition);
  });

  test("a portal definition without an observation window exports with a note; imaging is refused with its path", () => {
    const definition = ZCohortDefinition.parse({
      version: 1,
      entry: { type: "condition", concepts: [{ conceptId: 443454 }] },
      demographics: { ageAtIndex: { min: 40 }, sex: ["male"] },
      inclusionRules: [
        {
          name: "CT",
          group: {
            kind: "group",
            operator: "AND",
            items: [{ kind: "criterion", criterion: { type: "imaging", modality: "CT" } }],
          },
        },
      ],
    });
    expect(exportCirce(definition)).toEqual({
      ok: false,
      path: "inclusionRules.0.group.items.0.criterion",
      message: expect.stringContaining("imaging"),
    });
    const withoutImaging = { ...definition, inclusionRules: [] };
    const exported = exportCirce(withoutImaging);
    expect(exported).toMatchObject({ ok: true, notes: [expect.stringContaining("observation period")] });
    if (!exported.ok) return;
    expect(exported.json.AdditionalCriteria).toEqual({
      Type: "ALL",
      CriteriaList: [],
      DemographicCriteriaList: [{ Age: { Value: 40, Op: "gte" }, Gender: [{ CONCEPT_ID: 8507 }] }],
      Groups: [],
    });
  });
});
