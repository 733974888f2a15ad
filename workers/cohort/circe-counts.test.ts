import { describe, expect, test } from "vitest";
import { ZCohortDefinition, type CohortDefinitionInput } from "@/protocol/cohort-definition";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { conceptSetSql, phenotype, useCountingSite } from "../test-support/counting-site";

/**
 * Imported ATLAS definitions and the ATLAS-era features, counted by the compiler on data from the
 * synthetic generator and by hand-written SQL over the same tables: the two must agree.
 */

const { sql, counted, handCount } = useCountingSite("circe", { persons: 1500, seed: 11 }, async () => {
  // Deaths, a device and a source concept mapped to cerebral infarction, derived from the generated rows.
  await sql(`INSERT INTO death (person_id, death_date, death_type_concept_id, cause_concept_id)
    SELECT person_id, min(condition_start_date) + 40, 32817, ${C.cerebralInfarction} FROM condition_occurrence
     WHERE condition_concept_id = ${C.cerebralInfarction} AND person_id % 3 = 0 GROUP BY person_id`);
  await sql(`INSERT INTO device_exposure (device_exposure_id, person_id, device_concept_id, device_exposure_start_date, device_type_concept_id)
    SELECT row_number() OVER (), person_id, 4038664, visit_start_date, 32817 FROM visit_occurrence WHERE visit_occurrence_id % 11 = 0`);
  await sql(`INSERT INTO concept_relationship VALUES (45000001, ${C.cerebralInfarction}, 'Maps to', '1970-01-01', '2099-12-31', NULL),
    (45000002, ${C.cerebralInfarction}, 'Maps to', '1970-01-01', '2099-12-31', 'D')`);
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 900000000 + person_id, person_id, CASE WHEN person_id % 2 = 0 THEN 45000001 ELSE 45000002 END, date '2020-01-01', 32817
      FROM person WHERE person_id % 50 = 0`);
});

const set = conceptSetSql;
const inPeriod = (alias: string, date: string) =>
  `EXISTS (SELECT 1 FROM observation_period op WHERE op.person_id = ${alias}.person_id AND ${date} BETWEEN op.observation_period_start_date AND op.observation_period_end_date)`;

describe("PhenotypeLibrary definitions on generated data", () => {
  test("Cerebral infarction (609)", async () => {
    const expected = await handCount(
      `SELECT co.person_id FROM condition_occurrence co JOIN person p USING (person_id)
        WHERE co.condition_concept_id IN ${set([], [443454])} AND ${inPeriod("co", "co.condition_start_date")}`,
    );
    expect(expected).toBeGreaterThan(20);
    expect(await counted(phenotype(609))).toEqual([expected]);
  });

  test("Ischemic stroke with inpatient admission (75): a visit around the event, inside the same observation period", async () => {
    const expected = await handCount(
      `SELECT co.person_id FROM condition_occurrence co JOIN person p USING (person_id)
         JOIN observation_period op ON op.person_id = co.person_id AND co.condition_start_date BETWEEN op.observation_period_start_date AND op.observation_period_end_date
        WHERE co.condition_concept_id IN ${set([372924, 375557, 441874], [443454])}
          AND EXISTS (SELECT 1 FROM visit_occurrence v WHERE v.person_id = co.person_id
                AND v.visit_concept_id IN ${set([], [262, 9203, 9201])}
                AND v.visit_start_date BETWEEN op.observation_period_start_date AND op.observation_period_end_date
                AND v.visit_start_date <= co.condition_start_date + 1
                AND coalesce(v.visit_end_date, v.visit_start_date + 1) BETWEEN co.condition_start_date AND op.observation_period_end_date)`,
    );
    expect(expected).toBeGreaterThan(10);
    expect(await counted(phenotype(75))).toEqual([expected]);
  });

  test("Essential hypertension, first occurrence (770)", async () => {
    const expected = await handCount(
      `SELECT co.person_id FROM condition_occurrence co JOIN person p USING (person_id)
        WHERE co.condition_concept_id IN ${set([316866], [320128])} AND ${inPeriod("co", "co.condition_start_date")}`,
    );
    expect(expected).toBeGreaterThan(100);
    expect(await counted(phenotype(770))).toEqual([expected]);
  });

  test("Earliest prostate cancer among adult males (1030): age and sex at the event", async () => {
    const expected = await handCount(
      `SELECT co.person_id FROM condition_occurrence co JOIN person p USING (person_id)
        WHERE co.condition_concept_id IN ${set([], [4163261])} AND ${inPeriod("co", "co.condition_start_date")}
          AND extract(year FROM co.condition_start_date) - p.year_of_birth >= 18 AND p.gender_concept_id = 8507`,
    );
    expect(expected).toBeGreaterThan(10);
    expect(await counted(phenotype(1030))).toEqual([expected]);
  });
});

describe("age and sex on a criterion", () => {
  test("are checked at the event, after 'first': a first diagnosis of hypertension made aged 50 to 70, in women", async () => {
    const definition = parse({
      entry: {
        type: "condition",
        concepts: [ref(C.essentialHypertension, { includeDescendants: true })],
        first: true,
        age: { min: 50, max: 70 },
        sex: ["female"],
      },
    });
    // Women diagnosed before 50 and seen again for it at 60: their FIRST diagnosis is out of range.
    await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
      SELECT 910000000 + co.person_id, co.person_id, ${C.essentialHypertension}, make_date(p.year_of_birth + 60, 6, 1), 32817
        FROM condition_occurrence co JOIN person p USING (person_id)
       WHERE co.condition_concept_id = ${C.essentialHypertension} AND p.gender_concept_id = 8532
         AND extract(year FROM co.condition_start_date) - p.year_of_birth < 50
       GROUP BY co.person_id, p.year_of_birth`);
    const expected = await handCount(
      `SELECT f.person_id FROM (
          SELECT DISTINCT ON (co.person_id) co.person_id, co.condition_start_date AS d
            FROM condition_occurrence co
           WHERE co.condition_concept_id IN ${set([], [C.essentialHypertension])}
           ORDER BY co.person_id, co.condition_start_date, co.condition_occurrence_id) f
        JOIN person p USING (person_id)
       WHERE extract(year FROM f.d) - p.year_of_birth BETWEEN 50 AND 70 AND p.gender_concept_id = 8532`,
    );
    const anyAge = await handCount(
      `SELECT co.person_id FROM condition_occurrence co JOIN person p USING (person_id)
        WHERE co.condition_concept_id IN ${set([], [C.essentialHypertension])} AND p.gender_concept_id = 8532`,
    );
    expect(expected).toBeGreaterThan(5);
    expect(expected).toBeLessThan(anyAge);
    expect(await counted(definition)).toEqual([expected]);
  });

  test("apply inside an inclusion rule to the rule's events, not the index event", async () => {
    const definition = parse({
      entry: { type: "condition", concepts: [ref(C.cerebralInfarction)] },
      inclusionRules: [
        {
          name: "an outpatient visit before turning 50",
          group: {
            kind: "group",
            operator: "AND",
            items: [
              { kind: "criterion", criterion: { type: "visit", concepts: [ref(C.outpatientVisit)], age: { max: 49 } } },
            ],
          },
        },
      ],
    });
    const [entered, kept] = await counted(definition);
    const expected = await handCount(
      `SELECT DISTINCT co.person_id FROM condition_occurrence co JOIN person p USING (person_id)
        WHERE co.condition_concept_id IN ${set([C.cerebralInfarction])}
          AND EXISTS (SELECT 1 FROM visit_occurrence v WHERE v.person_id = co.person_id
                AND v.visit_concept_id = ${C.outpatientVisit}
                AND extract(year FROM v.visit_start_date) - p.year_of_birth <= 49)`,
    );
    expect(entered).toBeGreaterThan(kept!);
    expect(kept).toEqual(expected);
  });
});

const ref = (conceptId: number, extra: object = {}) => ({ conceptId, ...extra });
const parse = (input: Omit<CohortDefinitionInput, "version">) => ZCohortDefinition.parse({ version: 1, ...input });

describe("ATLAS features on generated data", () => {
  test("at least 2 outpatient visits in the year before a stroke, and no death within 60 days", async () => {
    const definition = parse({
      entry: { type: "condition", concepts: [ref(C.cerebralInfarction)] },
      observationWindow: { priorDays: 365, postDays: 0 },
      entryLimit: "all",
      qualifiedLimit: "all",
      inclusionRules: [
        {
          name: "2+ outpatient visits",
          group: {
            kind: "group",
            operator: "AND",
            items: [
              {
                kind: "criterion",
                criterion: { type: "visit", concepts: [ref(C.outpatientVisit)] },
                window: { startDays: -365, endDays: 0 },
                occurrence: { type: "atLeast", count: 2 },
              },
            ],
          },
        },
        {
          name: "alive at 60 days",
          group: {
            kind: "group",
            operator: "AND",
            items: [
              { kind: "criterion", criterion: { type: "death" }, window: { startDays: 0, endDays: 60 }, exclude: true },
            ],
          },
        },
      ],
    });
    const events = `SELECT co.person_id, co.condition_start_date AS d, op.observation_period_start_date AS s, op.observation_period_end_date AS e
        FROM condition_occurrence co JOIN person p USING (person_id)
        JOIN observation_period op ON op.person_id = co.person_id
         AND co.condition_start_date BETWEEN op.observation_period_start_date + 365 AND op.observation_period_end_date
       WHERE co.condition_concept_id IN ${set([], [C.cerebralInfarction])}`;
    const rule1 = `(SELECT count(*) FROM visit_occurrence h WHERE h.person_id = ev.person_id
        AND h.visit_concept_id IN ${set([], [C.outpatientVisit])}
        AND h.visit_start_date BETWEEN greatest(ev.d - 365, ev.s) AND least(ev.d, ev.e)) >= 2`;
    const rule2 = `NOT EXISTS (SELECT 1 FROM death x WHERE x.person_id = ev.person_id AND x.death_date BETWEEN greatest(ev.d, ev.s) AND least(ev.d + 60, ev.e))`;
    const expected = [
      await handCount(events),
      await handCount(`SELECT * FROM (${events}) ev WHERE ${rule1}`),
      await handCount(`SELECT * FROM (${events}) ev WHERE ${rule1} AND ${rule2}`),
    ];
    expect(expected[1]).toBeGreaterThan(0);
    expect(expected[2]).toBeLessThan(expected[1]!);
    expect(await counted(definition)).toEqual(expected);
  });

  test("concept sets: excluded items with descendants, and source concepts mapped by a valid 'Maps to'", async () => {
    const strokes = await handCount(
      `SELECT person_id FROM condition_occurrence WHERE condition_concept_id IN ${set([], [C.cerebrovascularAccident])}`,
    );
    const withoutInfarction = await counted(
      parse({
        entry: {
          type: "condition",
          concepts: [ref(C.cerebrovascularAccident), ref(C.cerebralInfarction, { isExcluded: true })],
        },
      }),
    );
    expect(withoutInfarction).toEqual([
      await handCount(
        `SELECT person_id FROM condition_occurrence WHERE condition_concept_id IN (${set([], [C.cerebrovascularAccident])} EXCEPT ${set([], [C.cerebralInfarction])})`,
      ),
    ]);
    expect(withoutInfarction[0]).toBeLessThan(strokes);
    const mapped = await counted(
      parse({ entry: { type: "condition", concepts: [ref(C.cerebralInfarction, { includeMapped: true })] } }),
    );
    expect(mapped).toEqual([
      await handCount(
        `SELECT person_id FROM condition_occurrence WHERE condition_concept_id IN (SELECT unnest(ARRAY[45000001]) UNION ${set([], [C.cerebralInfarction]).slice(1, -1)})`,
      ),
    ]);
  });

  test("device exposures and a death without a cause", async () => {
    const definition = parse({
      entry: { type: "device", concepts: [ref(4038664)] },
      inclusionRules: [
        {
          name: "died",
          group: { kind: "group", operator: "AND", items: [{ kind: "criterion", criterion: { type: "death" } }] },
        },
      ],
    });
    const devices = `SELECT person_id FROM device_exposure JOIN person USING (person_id) WHERE device_concept_id = 4038664`;
    expect(await counted(definition)).toEqual([
      await handCount(devices),
      await handCount(`${devices} AND person_id IN (SELECT person_id FROM death)`),
    ]);
  });

  test("a drug in the same visit as the index event (ATLAS's RestrictVisit)", async () => {
    // A third of stroke patients also get clopidogrel in a visit of its own, 5 days after the stroke.
    await sql(`INSERT INTO drug_exposure (drug_exposure_id, person_id, drug_concept_id, drug_exposure_start_date, drug_exposure_end_date, drug_type_concept_id)
      SELECT 920000000 + person_id, person_id, ${C.clopidogrel}, min(condition_start_date) + 5, min(condition_start_date) + 35, 32817
        FROM condition_occurrence WHERE condition_concept_id = ${C.cerebralInfarction} AND person_id % 3 = 0 GROUP BY person_id`);
    const rule = (sameVisit: boolean) =>
      parse({
        entry: { type: "condition", concepts: [ref(C.cerebralInfarction)] },
        inclusionRules: [
          {
            name: "clopidogrel within 30 days",
            group: {
              kind: "group",
              operator: "AND",
              items: [
                {
                  kind: "criterion",
                  criterion: { type: "drug", concepts: [ref(C.clopidogrel)] },
                  window: { startDays: 0, endDays: 30 },
                  ...(sameVisit ? { sameVisit } : {}),
                },
              ],
            },
          },
        ],
      });
    const strokes = `SELECT DISTINCT ON (co.person_id) co.* FROM condition_occurrence co JOIN person p USING (person_id)
       WHERE co.condition_concept_id IN ${set([], [C.cerebralInfarction])} ORDER BY co.person_id, co.condition_start_date`;
    const clopidogrel = (where: string) =>
      `SELECT i.person_id FROM (${strokes}) i WHERE EXISTS (SELECT 1 FROM drug_exposure d WHERE d.person_id = i.person_id
         AND d.drug_concept_id IN ${set([], [C.clopidogrel])} AND d.drug_exposure_start_date BETWEEN i.condition_start_date AND i.condition_start_date + 30 AND ${where})`;
    const [inVisit, anyVisit] = [await counted(rule(true)), await counted(rule(false))];
    expect(inVisit).toEqual([
      await handCount(strokes),
      await handCount(clopidogrel("d.visit_occurrence_id = i.visit_occurrence_id")),
    ]);
    expect(anyVisit[1]).toBe(await handCount(clopidogrel("TRUE")));
    expect(inVisit[1]).toBeGreaterThan(5);
    expect(inVisit[1]).toBeLessThan(anyVisit[1]!);
  });
});
