import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { ZCohortDefinition, type CohortDefinitionInput } from "@/protocol/cohort-definition";
import { createLogger } from "../log";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { createSiteDb, type SiteDb } from "../site-db";
import {
  all,
  any,
  cohort,
  condition,
  demographic,
  drug,
  has,
  hasNo,
  imaging,
  measurement,
  procedure,
  visit,
  withRule,
} from "../test-support/cohort-definitions";
import { COHORT_FIXTURE_SCHEMA, createCohortFixture, type CohortFixture } from "../test-support/cohort-fixture";
import { MICROGRAM_PER_LITRE } from "../test-support/cohort-fixture-persons";
import { runCohort } from "./run-cohort";

/**
 * Exact counts on the hand-checked fixture (see test-support/cohort-fixture-persons.ts for every
 * person and why they are in or out). These call the runner directly: exact counts, before the release gate.
 */
const adminUrl = inject("pgAdminUrl");
let fixture: CohortFixture;
let siteDb: SiteDb;

beforeAll(async () => {
  fixture = await createCohortFixture(adminUrl);
  siteDb = createSiteDb({
    url: fixture.url,
    schema: COHORT_FIXTURE_SCHEMA,
    maxConnections: 2,
    log: createLogger({}, { write: () => undefined }),
  });
});
afterAll(async () => {
  await siteDb?.close();
  await fixture?.drop();
});

function run(input: CohortDefinitionInput) {
  const definition = ZCohortDefinition.parse(input);
  const evidence = siteDb.readOnly((query) => runCohort(query, definition, { table: siteDb.table }), {
    statementTimeoutMs: 10_000,
  });
  return evidence.then((e) => e.counts);
}

async function persons(input: CohortDefinitionInput): Promise<number> {
  return (await run(input)).attrition.at(-1)!;
}

const CVA = condition([C.cerebrovascularAccident]);
const MND = condition([C.malignantNeoplasticDisease]);
const PSA = [C.psa];
const AF = condition([C.atrialFibrillation]);
const ASPIRIN = drug([C.aspirin]);
const WARFARIN = drug([C.warfarin]);

describe("entry events", () => {
  test("conditions, with and without descendants (concept_ancestor has no self rows; person 99 has no person row)", async () => {
    expect(await persons(cohort(CVA))).toBe(9);
    expect(await persons(cohort(condition([C.cerebrovascularAccident], false)))).toBe(7);
    expect(await persons(cohort(MND))).toBe(6);
    expect(await persons(cohort(condition([C.malignantNeoplasticDisease], false)))).toBe(2);
    expect(await persons(cohort(condition([C.malignantTumorOfProstate])))).toBe(4);
    expect(await persons(cohort(condition([C.primaryMalignantNeoplasmOfProstate])))).toBe(3);
  });

  test("procedures, drugs and visits", async () => {
    expect(await persons(cohort(procedure([C.computedTomography])))).toBe(2);
    expect(await persons(cohort(procedure([C.computedTomography], false)))).toBe(1);
    expect(await persons(cohort(procedure([C.prostateBiopsy])))).toBe(3);
    expect(await persons(cohort(ASPIRIN))).toBe(4);
    expect(await persons(cohort(drug([C.bicalutamide])))).toBe(2);
    expect(await persons(cohort(visit([C.inpatientVisit])))).toBe(4);
    expect(await persons(cohort(visit([C.inpatientVisit, C.emergencyVisit])))).toBe(5);
  });

  test("measurements with inclusive value bounds and a unit; a missing value never satisfies a bound", async () => {
    expect(await persons(cohort(measurement(PSA)))).toBe(7);
    expect(await persons(cohort(measurement(PSA, { min: 4, max: 20, unitConceptId: C.nanogramPerMillilitre })))).toBe(
      3,
    );
    expect(await persons(cohort(measurement(PSA, { max: 20 })))).toBe(4);
    expect(await persons(cohort(measurement(PSA, { unitConceptId: C.nanogramPerMillilitre })))).toBe(6);
    expect(await persons(cohort(measurement(PSA, { min: 20, unitConceptId: MICROGRAM_PER_LITRE })))).toBe(1);
  });

  test("imaging by modality, with the inventory's mapping (SNOMED ids, and DICOM concepts by name)", async () => {
    expect(await persons(cohort(imaging("CT")))).toBe(4);
    expect(await persons(cohort(imaging("MR")))).toBe(2);
    expect(await persons(cohort(imaging("XR")))).toBe(1);
    expect(await persons(cohort(imaging("US")))).toBe(0);
  });
});

describe("demographics at the index date", () => {
  test("sex and an inclusive age range", async () => {
    expect(await persons(cohort(CVA, { demographics: { sex: ["female"], ageAtIndex: { min: 40, max: 65 } } }))).toBe(3);
    expect(await persons(cohort(CVA, { demographics: { sex: ["female"], ageAtIndex: { min: 40, max: 64 } } }))).toBe(2);
    expect(await persons(cohort(MND, { demographics: { sex: ["male"] } }))).toBe(5);
    expect(await persons(cohort(MND, { demographics: { sex: ["male", "female"] } }))).toBe(6);
  });

  test("the index date is the FIRST qualifying event, so descendants and value filters move it", async () => {
    // Person 3: cerebral infarction in 2019 (age 74), CVA itself in 2021 (age 76).
    expect(
      await persons(
        cohort(condition([C.cerebrovascularAccident], false), { demographics: { ageAtIndex: { min: 75 } } }),
      ),
    ).toBe(2);
    expect(await persons(cohort(CVA, { demographics: { ageAtIndex: { min: 75 } } }))).toBe(1);
    // Person 16: PSA 30 in 2018 (age 60), PSA 20 in 2020 (age 62).
    expect(
      await persons(
        cohort(measurement(PSA, { min: 4, max: 20, unitConceptId: C.nanogramPerMillilitre }), {
          demographics: { ageAtIndex: { min: 61, max: 69 } },
        }),
      ),
    ).toBe(1);
    expect(await persons(cohort(measurement(PSA), { demographics: { ageAtIndex: { min: 61, max: 69 } } }))).toBe(0);
  });

  test("age band and sex breakdowns (age = index year - year of birth; unknown gender is 'other')", async () => {
    expect(await run(cohort(CVA))).toEqual({
      attrition: [9],
      ageBands: [1, 1, 0, 0, 1, 1, 2, 2, 0, 1],
      sex: [4, 4, 1],
    });
  });
});

describe("inclusion rules", () => {
  test("date windows relative to the index date, both ends inclusive", async () => {
    expect(await persons(withRule(CVA, all(has(AF, { startDays: -365, endDays: -1 }))))).toBe(2);
    expect(await persons(withRule(CVA, all(has(AF, { startDays: -366, endDays: 0 }))))).toBe(4);
    expect(await persons(withRule(CVA, all(has(AF, { startDays: 0, endDays: 10 }))))).toBe(2);
    expect(await persons(withRule(CVA, all(has(AF, { startDays: 1, endDays: 10 }))))).toBe(1);
    expect(await persons(withRule(CVA, all(has(ASPIRIN, { startDays: 0, endDays: 30 }))))).toBe(2);
    expect(await persons(withRule(CVA, all(has(AF))))).toBe(6);
  });

  test("exclude: no such event (in the window)", async () => {
    expect(await persons(withRule(CVA, all(hasNo(WARFARIN))))).toBe(6);
    expect(await persons(withRule(CVA, all(hasNo(AF, { startDays: -365, endDays: -1 }))))).toBe(7);
  });

  test("AND, OR and nested groups", async () => {
    expect(await persons(withRule(CVA, all(has(AF), has(ASPIRIN))))).toBe(3);
    expect(await persons(withRule(CVA, any(has(AF), has(ASPIRIN))))).toBe(7);
    expect(
      await persons(
        withRule(CVA, any(all(has(AF), has(ASPIRIN)), all(has(WARFARIN), demographic({ sex: ["female"] })))),
      ),
    ).toBe(4);
    const nested = all(
      any(has(AF, { startDays: -365, endDays: -1 }), has(ASPIRIN, { startDays: 0, endDays: 30 })),
      any(
        hasNo(WARFARIN),
        all(demographic({ sex: ["male"] }), has(visit([C.inpatientVisit]), { startDays: 0, endDays: 0 })),
      ),
    );
    expect(await persons(withRule(CVA, nested))).toBe(1);
  });

  test("every criterion type inside rules", async () => {
    expect(await persons(withRule(CVA, all(demographic({ ageAtIndex: { min: 60 } }))))).toBe(5);
    expect(await persons(withRule(CVA, all(has(imaging("CT"), { startDays: 0, endDays: 7 }))))).toBe(2);
    expect(await persons(withRule(CVA, all(has(procedure([C.computedTomography])))))).toBe(2);
    expect(await persons(withRule(CVA, all(has(procedure([C.computedTomography], false)))))).toBe(1);
    const recentPsa = { startDays: -30, endDays: 0 };
    expect(
      await persons(
        withRule(MND, all(has(measurement(PSA, { min: 4, unitConceptId: C.nanogramPerMillilitre }), recentPsa))),
      ),
    ).toBe(2);
    expect(await persons(withRule(MND, all(has(measurement(PSA, { min: 4 }), recentPsa))))).toBe(3);
    expect(await persons(withRule(MND, all(has(procedure([C.prostateBiopsy]), recentPsa))))).toBe(2);
    expect(
      await persons(
        withRule(
          MND,
          any(
            has(measurement(PSA, { min: 4, unitConceptId: C.nanogramPerMillilitre }), recentPsa),
            has(procedure([C.prostateBiopsy]), recentPsa),
          ),
        ),
      ),
    ).toBe(3);
    expect(await persons(withRule(MND, all(has(imaging("MR"), { startDays: 0, endDays: 7 }))))).toBe(2);
    expect(await persons(withRule(MND, all(has(drug([C.bicalutamide]), { startDays: 0, endDays: 180 }))))).toBe(1);
  });

  test("ordered rules: attrition is cumulative and order matters; breakdowns describe the final cohort", async () => {
    const inpatient = {
      name: "Inpatient at index",
      group: all(has(visit([C.inpatientVisit]), { startDays: 0, endDays: 0 })),
    };
    const noWarfarin = { name: "No warfarin", group: all(hasNo(WARFARIN)) };
    const af = { name: "Atrial fibrillation ever", group: all(has(AF)) };
    expect(await run(cohort(CVA, { inclusionRules: [inpatient, noWarfarin, af] }))).toEqual({
      attrition: [9, 4, 3, 2],
      ageBands: [0, 0, 0, 0, 0, 0, 0, 1, 0, 1],
      sex: [2, 0, 0],
    });
    expect((await run(cohort(CVA, { inclusionRules: [af, noWarfarin, inpatient] }))).attrition).toEqual([9, 6, 4, 2]);
  });
});
