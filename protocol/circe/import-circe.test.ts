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
      // Without AdditionalCriteria Circe does not apply the QualifiedLimit ("First" in this file).
      qualifiedLimit: "all",
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

  test("FDA AESI Non-hemorrhagic stroke (1089): criteria nested in a rule's criterion, relative to that event", () => {
    const { definition } = imported(1089);
    const rule = definition.inclusionRules[0]!.group.items[0]!;
    expect(rule).toMatchObject({
      kind: "criterion",
      exclude: true,
      ignoreObservationPeriod: true,
      window: { startDays: -365, endDays: -1 },
      criterion: {
        type: "condition",
        nested: {
          kind: "group",
          operator: "AND",
          items: [
            {
              kind: "criterion",
              criterion: {
                type: "visit",
                concepts: expect.arrayContaining([expect.objectContaining({ conceptId: 9201 })]),
              },
              window: { endDays: 0 },
              endWindow: { startDays: 0 },
              exclude: false,
            },
          ],
        },
      },
    });
  });

  test("AAA repair with new atrial fibrillation (1093): a procedure by its source code, of any procedure concept, and a visit with an exclusion nested in it", () => {
    const { definition } = imported(1093);
    expect(definition.entryLimit).toBe("first");
    const repairs = expect.arrayContaining([
      expect.objectContaining({ conceptId: 2002250, includeDescendants: false }),
    ]);
    expect(definition.entry).toMatchObject({ type: "procedure", concepts: repairs });
    expect(definition.extraEntries).toEqual([{ type: "procedure", sourceConcepts: expect.any(Array) }]);
    expect(definition.extraEntries![0]).toMatchObject({ sourceConcepts: repairs });
    expect(definition.inclusionRules[1]!.group.items[0]).toMatchObject({
      criterion: {
        type: "visit",
        nested: {
          items: [{ criterion: { type: "visit" }, window: { startDays: -2, endDays: 0 }, exclude: true }],
        },
      },
      window: { startDays: -1, endDays: 0 },
      endWindow: { startDays: 1 },
    });
  });

  test("Small cell lung cancer (1280): criteria nested in the second of two entry events stay on that event", () => {
    const { definition } = imported(1280);
    expect(definition.qualifyingCriteria).toBeUndefined();
    expect(definition.entry).not.toHaveProperty("nested");
    expect(definition.extraEntries![0]).toMatchObject({
      type: "condition",
      concepts: [expect.objectContaining({ conceptId: 258369 })],
      nested: {
        items: [
          {
            criterion: { type: "condition", concepts: [expect.objectContaining({ conceptId: 36712771 })] },
            window: { startDays: -1, endDays: 1 },
            ignoreObservationPeriod: true,
          },
        ],
      },
    });
  });

  test("Polyarticular juvenile idiopathic arthritis (1016): a first diagnosis from a calendar date, at age 16 or under", () => {
    const { definition } = imported(1016);
    expect(definition.entry).toMatchObject({
      type: "condition",
      first: true,
      startDate: { from: "2016-01-01" },
      age: { max: 16 },
    });
  });

  test("Colorectal cancer surgery without MSI-high or dMMR (830): an 'at most 0 of' group of eight tests", () => {
    const { definition } = imported(830);
    const group = definition.inclusionRules[0]!.group;
    expect(group).toMatchObject({ kind: "group", operator: "AT_MOST", count: 0 });
    expect(group.items).toHaveLength(8);
    expect(group.items[1]).toMatchObject({
      criterion: { type: "measurement", value: { valueConceptIds: [35919051] } },
      window: { startDays: -90, endDays: 14 },
    });
  });

  test("Heart failure during an inpatient or ER visit (938): a window on the index event's end date, held by the diagnosis' start", () => {
    const { definition } = imported(938);
    expect(definition.qualifyingCriteria!.items[0]).toMatchObject({
      kind: "criterion",
      criterion: { type: "condition" },
      window: { startDays: 0 },
      endWindow: { endDays: 0, useIndexEnd: true, eventDate: "start" },
    });
  });

  test("Uveitis (1223): syphilis tests restricted to the index event's visit", () => {
    const { definition } = imported(1223);
    expect(JSON.stringify(definition).match(/"sameVisit":true/g)).toHaveLength(5);
    const again = importCirce(fixture(1223).replace(/"RestrictVisit": true/g, '"RestrictVisit": false'));
    if (!again.ok) throw new Error(JSON.stringify(again.errors));
    expect(JSON.stringify(again.definition)).not.toContain("sameVisit");
  });

  test("Down syndrome (754): a condition era nested in a rule's criterion", () => {
    const { definition } = imported(754);
    expect(definition.inclusionRules[0]!.group.items[0]).toMatchObject({
      criterion: {
        type: "condition",
        nested: {
          items: [
            {
              criterion: {
                type: "conditionEra",
                concepts: expect.arrayContaining([expect.objectContaining({ conceptId: 443213 })]),
              },
              window: { startDays: 0, endDays: 0 },
              endWindow: { startDays: 0, endDays: 0 },
              exclude: true,
            },
          ],
        },
      },
      window: { startDays: 1, endDays: 365 },
    });
  });

  test("era lengths, counts and ages at the era's start import; a drug era's gap days are refused", () => {
    const era = (body: object) =>
      importCirce(
        JSON.stringify({
          ConceptSets: [{ id: 0, expression: { items: [{ concept: { CONCEPT_ID: 1503297 } }] } }],
          PrimaryCriteria: { CriteriaList: [{ DrugEra: { CodesetId: 0, ...body } }] },
        }),
      );
    const result = era({
      EraLength: { Value: 180, Op: "gt" },
      OccurrenceCount: { Value: 2, Extent: 5, Op: "bt" },
      AgeAtStart: { Value: 18, Op: "gte" },
      EraStartDate: { Value: "2015-01-01", Op: "gte" },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.definition.entry).toEqual({
      type: "drugEra",
      concepts: [expect.objectContaining({ conceptId: 1503297 })],
      eraDays: { min: 181 },
      eraCount: { min: 2, max: 5 },
      age: { min: 18 },
      startDate: { from: "2015-01-01" },
    });
    const exported = exportCirce(result.definition);
    if (!exported.ok) throw new Error(exported.message);
    const again = importCirce(JSON.stringify(exported.json));
    expect(again).toMatchObject({ ok: true, definition: { entry: result.definition.entry } });
    expect(era({ GapDays: { Value: 30, Op: "lte" } })).toMatchObject({
      ok: false,
      errors: [
        { path: "PrimaryCriteria.CriteriaList[0].DrugEra.GapDays", message: expect.stringContaining("not supported") },
      ],
    });
  });

  test.each([
    [
      1091,
      "InclusionRules[0].expression.Groups[0].CriteriaList[1].Criteria.Measurement.RangeLow",
      "RangeLow in a Measurement criterion is not supported",
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

describe("calendar dates on a criterion", () => {
  const withDate = (range: object) =>
    importCirce(
      fixture(609).replace(
        '"ConditionTypeExclude": false',
        `"ConditionTypeExclude": false, "OccurrenceStartDate": ${JSON.stringify(range)}`,
      ),
    );
  test.each([
    [{ Value: "2020-01-01", Op: "gt" }, { from: "2020-01-02" }],
    [{ Value: "2020-03-01", Op: "lt" }, { to: "2020-02-29" }],
    [{ Value: "2020-01-01", Op: "lte" }, { to: "2020-01-01" }],
    [
      { Value: "2020-01-01", Op: "eq" },
      { from: "2020-01-01", to: "2020-01-01" },
    ],
    [
      { Value: "2021-06-30", Extent: "2020-01-01", Op: "bt" },
      { from: "2020-01-01", to: "2021-06-30" },
    ],
  ])("%j becomes the inclusive dates %j", (range, dates) => {
    const result = withDate(range);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.definition.entry).toMatchObject({ startDate: dates });
  });

  test.each([
    [{ Value: "2020-01-01", Extent: "2021-01-01", Op: "!bt" }, "OccurrenceStartDate.Op", "not supported"],
    [{ Value: "01/01/2020", Op: "gt" }, "OccurrenceStartDate.Value", "must be a date as YYYY-MM-DD"],
    [{ Value: "2020-01-01", Op: "bt" }, "OccurrenceStartDate.Extent", "must be a date as YYYY-MM-DD"],
  ])("%j is refused at its path", (range, at, why) => {
    expect(withDate(range)).toMatchObject({
      ok: false,
      errors: [
        { path: `PrimaryCriteria.CriteriaList[0].ConditionOccurrence.${at}`, message: expect.stringContaining(why) },
      ],
    });
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
      "a filter on the record's type",
      fixture(609).replace(
        '"ConditionTypeExclude": false',
        '"ConditionTypeExclude": false, "ConditionType": [{"CONCEPT_ID": 32020}]',
      ),
      "PrimaryCriteria.CriteriaList[0].ConditionOccurrence.ConditionType",
      "not supported",
    ],
  ])("%s", (_, input, at, why) => {
    const result = importCirce(input);
    expect(result).toMatchObject({ ok: false, errors: [{ path: at, message: expect.stringContaining(why) }] });
  });
});

describe("exporting to Circe", () => {
  test.each([609, 75, 770, 1193, 957, 1030, 1089, 1093, 1280, 1016, 830, 938, 1223, 754])(
    "phenotype %i survives export and re-import unchanged",
    (id) => {
      const { definition } = imported(id);
      const exported = exportCirce(definition);
      if (!exported.ok) throw new Error(exported.message);
      const again = importCirce(JSON.stringify(exported.json));
      if (!again.ok) throw new Error(JSON.stringify(again.errors));
      expect(again.definition).toEqual(definition);
    },
  );

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
