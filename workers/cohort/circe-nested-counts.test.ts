import { describe, expect, test } from "vitest";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { conceptSetSql, phenotype, useCountingSite } from "../test-support/counting-site";

/**
 * PhenotypeLibrary definitions that use criteria nested in a criterion, criteria without a concept
 * set, source concept sets and calendar dates, counted by the compiler on generated data (with rows
 * added for the phenotypes' own concepts, derived from the generated ones) and by hand-written SQL
 * over the same tables: the two must agree at every step of the attrition.
 */

const AAA_REPAIR = 2002250;
const AAA_REPAIR_SOURCE = 2730049;
const LUNG_CANCER = 258369;
const SMALL_CELL = 36712771;
const SMALL_CELL_LUNG = 4110591;
const JUVENILE_ARTHRITIS = 4195770;
const COLECTOMY = 4079713;
const MSI_HIGH = 35977040;
const MSI_LOINC = 21493972;
const MSI_H_VALUE = 21499079;
const MSS_VALUE = 21498576;
const MSI_HIGH_COLORECTAL = 42537577;
const COLON_CANCER = 4180790;
const HEART_FAILURE = 316139;
const DOWN_SYNDROME = 4320803;
const PREGNANCY = 443213;

const { sql, counted, handCount } = useCountingSite("circe_nested", { persons: 1500, seed: 23 }, async () => {
  // A second stroke 200 days before the first for a quarter of stroke patients, admitted for it.
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 800000000 + person_id, person_id, ${C.cerebralInfarction}, min(condition_start_date) - 200, 32817
      FROM condition_occurrence WHERE condition_concept_id = ${C.cerebralInfarction} AND person_id % 4 = 0 GROUP BY person_id`);
  await sql(`INSERT INTO visit_occurrence (visit_occurrence_id, person_id, visit_concept_id, visit_start_date, visit_end_date, visit_type_concept_id)
    SELECT 800000000 + person_id, person_id, ${C.inpatientVisit}, condition_start_date - 1, condition_start_date + 3, 32817
      FROM condition_occurrence WHERE condition_occurrence_id >= 800000000 AND person_id % 8 = 0`);
  // Elective admissions for AAA repair (the generator's admissions all follow an emergency visit):
  // half coded by the standard concept, half only by their source code, the day after admission.
  await sql(`INSERT INTO visit_occurrence (visit_occurrence_id, person_id, visit_concept_id, visit_start_date, visit_end_date, visit_type_concept_id)
    SELECT 810000000 + visit_occurrence_id, person_id, ${C.inpatientVisit}, visit_start_date + 3, visit_start_date + 8, 32817
      FROM visit_occurrence WHERE visit_concept_id = ${C.outpatientVisit} AND visit_occurrence_id % 17 = 0`);
  await sql(`INSERT INTO procedure_occurrence (procedure_occurrence_id, person_id, procedure_concept_id, procedure_date, procedure_type_concept_id, procedure_source_concept_id)
    SELECT visit_occurrence_id, person_id, CASE WHEN visit_occurrence_id % 2 = 0 THEN ${AAA_REPAIR} ELSE 0 END,
           visit_start_date + (visit_occurrence_id % 2)::int, 32817, CASE WHEN visit_occurrence_id % 2 = 0 THEN 0 ELSE ${AAA_REPAIR_SOURCE} END
      FROM visit_occurrence WHERE visit_occurrence_id >= 810000000`);
  // Emergency visits the day before some of them, atrial fibrillation after (or before) others.
  await sql(`INSERT INTO visit_occurrence (visit_occurrence_id, person_id, visit_concept_id, visit_start_date, visit_end_date, visit_type_concept_id)
    SELECT 820000000 + person_id, person_id, ${C.emergencyVisit}, min(procedure_date) - 2, min(procedure_date) - 2, 32817
      FROM procedure_occurrence WHERE procedure_occurrence_id >= 810000000 AND person_id % 5 = 0 GROUP BY person_id`);
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 830000000 + person_id, person_id, ${C.atrialFibrillation}, min(procedure_date) + CASE WHEN person_id % 7 = 0 THEN -30 ELSE 5 END, 32817
      FROM procedure_occurrence WHERE procedure_occurrence_id >= 810000000 AND person_id % 2 = 0 GROUP BY person_id`);
  // Lung cancers, some with a small cell carcinoma the day after; small cell lung cancers.
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 840000000 + visit_occurrence_id, person_id, ${LUNG_CANCER}, visit_start_date, 32817 FROM visit_occurrence WHERE visit_occurrence_id % 13 = 0
    UNION ALL
    SELECT 850000000 + visit_occurrence_id, person_id, ${SMALL_CELL}, visit_start_date + (visit_occurrence_id % 3)::int, 32817 FROM visit_occurrence WHERE visit_occurrence_id % 26 = 0
    UNION ALL
    SELECT 860000000 + visit_occurrence_id, person_id, ${SMALL_CELL_LUNG}, visit_start_date, 32817 FROM visit_occurrence WHERE visit_occurrence_id % 97 = 0`);
  // Juvenile arthritis in 120 children observed since 2008, first diagnosed at 10 (before or after
  // 2016, by birth year) and seen again in 2017; adults diagnosed in 2017.
  await sql(`INSERT INTO person (person_id, gender_concept_id, year_of_birth, race_concept_id, ethnicity_concept_id)
    SELECT 9900000 + i, CASE WHEN i % 2 = 0 THEN ${C.male} ELSE ${C.female} END, 2000 + i % 12, 0, 0 FROM generate_series(1, 120) i`);
  await sql(`INSERT INTO observation_period (observation_period_id, person_id, observation_period_start_date, observation_period_end_date, period_type_concept_id)
    SELECT person_id, person_id, date '2008-01-01', date '2024-06-30', 32817 FROM person WHERE person_id > 9900000`);
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 870000000 + person_id, person_id, ${JUVENILE_ARTHRITIS}, make_date(year_of_birth + 10, 3, 1), 32817 FROM person WHERE person_id > 9900000
    UNION ALL
    SELECT 880000000 + person_id, person_id, ${JUVENILE_ARTHRITIS}, date '2017-05-01', 32817 FROM person WHERE person_id > 9900000 OR person_id % 5 = 0`);
  // Colorectal surgery with microsatellite tests around it: MSI-high 30 days before, an MSI result 10
  // days after (high, or stable), an MSI-high cancer diagnosis 20 days after (outside its window).
  await sql(`INSERT INTO procedure_occurrence (procedure_occurrence_id, person_id, procedure_concept_id, procedure_date, procedure_type_concept_id)
    SELECT 890000000 + visit_occurrence_id, person_id, ${COLECTOMY}, visit_start_date, 32817 FROM visit_occurrence
     WHERE visit_concept_id = ${C.outpatientVisit} AND visit_occurrence_id % 19 = 0`);
  const surgeries = `FROM procedure_occurrence WHERE procedure_concept_id = ${COLECTOMY}`;
  await sql(`INSERT INTO measurement (measurement_id, person_id, measurement_concept_id, measurement_date, measurement_type_concept_id, value_as_concept_id)
    SELECT 890000000 + procedure_occurrence_id, person_id, ${MSI_HIGH}, procedure_date - 30, 32817, NULL ${surgeries} AND person_id % 3 = 0
    UNION ALL
    SELECT 891000000 + procedure_occurrence_id, person_id, ${MSI_LOINC}, procedure_date + 10, 32817,
           CASE WHEN person_id % 2 = 0 THEN ${MSI_H_VALUE} ELSE ${MSS_VALUE} END ${surgeries} AND person_id % 5 = 0`);
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 890000000 + procedure_occurrence_id, person_id, ${MSI_HIGH_COLORECTAL}, procedure_date + 20, 32817 ${surgeries} AND person_id % 7 = 0
    UNION ALL
    SELECT 891000000 + procedure_occurrence_id, person_id, ${COLON_CANCER}, procedure_date - 20, 32817 ${surgeries} AND person_id % 7 <> 0`);
  // Heart failure diagnosed during an inpatient stay (day 1), or two days after it ended.
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 930000000 + visit_occurrence_id, person_id, ${HEART_FAILURE},
           CASE WHEN visit_occurrence_id % 2 = 0 THEN visit_start_date + 1 ELSE visit_end_date + 2 END, 32817
      FROM visit_occurrence WHERE visit_concept_id = ${C.inpatientVisit} AND visit_end_date > visit_start_date + 1`);
  // Down syndrome coded at an outpatient visit and again 100 days later; for some the second code falls
  // on a one-day pregnancy condition era (a pregnancy code mistaken for it), for others on a longer one.
  await sql(`INSERT INTO condition_occurrence (condition_occurrence_id, person_id, condition_concept_id, condition_start_date, condition_type_concept_id)
    SELECT 940000000 + visit_occurrence_id + k, person_id, ${DOWN_SYNDROME}, visit_start_date + k * 100, 32817
      FROM visit_occurrence, generate_series(0, 1) k WHERE visit_concept_id = ${C.outpatientVisit} AND visit_occurrence_id % 23 = 0`);
  await sql(`INSERT INTO condition_era (condition_era_id, person_id, condition_concept_id, condition_era_start_date, condition_era_end_date, condition_occurrence_count)
    SELECT visit_occurrence_id, person_id, ${PREGNANCY}, visit_start_date + 100, visit_start_date + 100 + (visit_occurrence_id % 2)::int * 30, 1
      FROM visit_occurrence WHERE visit_concept_id = ${C.outpatientVisit} AND visit_occurrence_id % 23 = 0 AND person_id % 3 = 0`);
});

const set = conceptSetSql;
/** Events of a table with the observation period they lie in (s, e). */
const inPeriod = (table: string, date: string, where: string) =>
  `SELECT x.*, x.${date} AS d, op.observation_period_start_date AS s, op.observation_period_end_date AS e
     FROM ${table} x JOIN observation_period op ON op.person_id = x.person_id AND x.${date} BETWEEN op.observation_period_start_date AND op.observation_period_end_date
    WHERE ${where}`;
const visitEnd = "coalesce(v.visit_end_date, v.visit_start_date + 1)";

describe("nested criteria, any-event and source-code criteria, calendar dates on generated data", () => {
  test("FDA AESI Non-hemorrhagic stroke (1089): no earlier admitted stroke within a year, nested in the rule's criterion", async () => {
    const strokes = `(${set([], [443454])} EXCEPT ${set([], [40479572, 4046360])})`;
    const admitted = `SELECT c.* FROM (${inPeriod("condition_occurrence", "condition_start_date", `x.condition_concept_id IN ${strokes}`)}) c
      WHERE EXISTS (SELECT 1 FROM visit_occurrence v WHERE v.person_id = c.person_id AND v.visit_concept_id IN ${set([], [262, 9201])}
        AND v.visit_start_date BETWEEN c.s AND c.d AND ${visitEnd} BETWEEN c.d AND c.e)`;
    const expected = [
      await handCount(admitted),
      await handCount(`SELECT a.person_id FROM (${admitted}) a WHERE NOT EXISTS (SELECT 1 FROM (${admitted}) b
        WHERE b.person_id = a.person_id AND b.d BETWEEN a.d - 365 AND a.d - 1)`),
    ];
    // Every event counts (expression limit "all"), and a person's earliest admitted stroke has no earlier
    // one: the rule changes which events enter, never who. The second strokes make it do work.
    expect(expected[1]).toBeGreaterThan(10);
    expect(expected[1]).toBe(expected[0]);
    expect(await counted(phenotype(1089))).toEqual(expected);
  });

  test("AAA repair with new atrial fibrillation (1093): repairs by concept or source code, an admission without a prior emergency visit nested in it", async () => {
    const repairs = `SELECT DISTINCT ON (x.person_id) x.* FROM (${inPeriod(
      "procedure_occurrence",
      "procedure_date",
      `x.procedure_concept_id IN (${AAA_REPAIR}, ${AAA_REPAIR_SOURCE}) OR x.procedure_source_concept_id IN (${AAA_REPAIR}, ${AAA_REPAIR_SOURCE})`,
    )}) x ORDER BY x.person_id, x.d`;
    const adult = `extract(year FROM i.d) - (SELECT year_of_birth FROM person p WHERE p.person_id = i.person_id) >= 18`;
    const admitted = `EXISTS (SELECT 1 FROM visit_occurrence v
        JOIN observation_period vop ON vop.person_id = v.person_id AND v.visit_start_date BETWEEN vop.observation_period_start_date AND vop.observation_period_end_date
       WHERE v.person_id = i.person_id AND v.visit_concept_id IN ${set([], [9201])}
         AND v.visit_start_date BETWEEN i.d - 1 AND i.d AND v.visit_start_date >= i.s
         AND ${visitEnd} BETWEEN i.d + 1 AND i.e
         AND NOT EXISTS (SELECT 1 FROM visit_occurrence w WHERE w.person_id = v.person_id AND w.visit_concept_id IN ${set([], [262, 9203])}
               AND w.visit_start_date BETWEEN v.visit_start_date - 2 AND v.visit_start_date
               AND w.visit_start_date BETWEEN vop.observation_period_start_date AND vop.observation_period_end_date))`;
    const af = (window: string) =>
      `EXISTS (SELECT 1 FROM condition_occurrence a WHERE a.person_id = i.person_id AND a.condition_concept_id IN ${set([], [C.atrialFibrillation])}
         AND a.condition_start_date BETWEEN i.s AND i.e AND ${window})`;
    const rules = [
      adult,
      admitted,
      af("a.condition_start_date BETWEEN i.d AND i.d + 14"),
      `NOT ${af("a.condition_start_date <= i.d - 1")}`,
    ];
    const expected: number[] = [];
    for (let k = 0; k <= rules.length; k++)
      expected.push(
        await handCount(`SELECT i.person_id FROM (${repairs}) i WHERE ${["TRUE", ...rules.slice(0, k)].join(" AND ")}`),
      );
    expect(expected[2]).toBeLessThan(expected[1]!);
    expect(expected[4]).toBeGreaterThan(5);
    expect(expected[4]).toBeLessThan(expected[3]!);
    expect(await counted(phenotype(1093))).toEqual(expected);
  });

  test("Small cell lung cancer (1280): a lung cancer counts only with a small cell carcinoma within a day, nested in that entry event", async () => {
    const expected = await handCount(
      `SELECT person_id FROM (${inPeriod("condition_occurrence", "condition_start_date", `x.condition_concept_id IN ${set([], [SMALL_CELL_LUNG])}`)}) a
       UNION ALL
       SELECT l.person_id FROM (${inPeriod("condition_occurrence", "condition_start_date", `x.condition_concept_id IN ${set([], [LUNG_CANCER])}`)}) l
        WHERE EXISTS (SELECT 1 FROM condition_occurrence s WHERE s.person_id = l.person_id AND s.condition_concept_id IN ${set([], [SMALL_CELL])}
              AND s.condition_start_date BETWEEN l.d - 1 AND l.d + 1)`,
    );
    const lungCancers = await handCount(
      inPeriod(
        "condition_occurrence",
        "condition_start_date",
        `x.condition_concept_id IN (${LUNG_CANCER}, ${SMALL_CELL_LUNG})`,
      ),
    );
    expect(expected).toBeGreaterThan(10);
    expect(expected).toBeLessThan(lungCancers);
    expect(await counted(phenotype(1280))).toEqual([expected]);
  });

  test("Polyarticular juvenile idiopathic arthritis (1016): the first diagnosis, if made in 2016 or later at 16 or under", async () => {
    const expected = await handCount(
      `SELECT f.person_id FROM (
          SELECT DISTINCT ON (co.person_id) co.person_id, co.condition_start_date AS d FROM condition_occurrence co
           WHERE co.condition_concept_id IN ${set([42535177, 4132809, 4132810], [JUVENILE_ARTHRITIS])}
           ORDER BY co.person_id, co.condition_start_date, co.condition_occurrence_id) f
        JOIN person p USING (person_id)
       WHERE f.d >= date '2016-01-01' AND extract(year FROM f.d) - p.year_of_birth <= 16
         AND EXISTS (SELECT 1 FROM observation_period op WHERE op.person_id = f.person_id AND f.d BETWEEN op.observation_period_start_date AND op.observation_period_end_date)`,
    );
    const anyDate = await handCount(
      `SELECT person_id FROM condition_occurrence WHERE condition_concept_id = ${JUVENILE_ARTHRITIS}`,
    );
    expect(expected).toBeGreaterThan(5);
    expect(expected).toBeLessThan(anyDate);
    expect(await counted(phenotype(1016))).toEqual([expected]);
  });

  test("Colorectal cancer surgery without MSI-high or dMMR (830): 'at most 0' of eight tests around the surgery", async () => {
    const surgeries = `SELECT DISTINCT ON (x.person_id) x.* FROM (${inPeriod("procedure_occurrence", "procedure_date", `x.procedure_concept_id = ${COLECTOMY}`)}) x
      WHERE x.d >= x.s + 365 ORDER BY x.person_id, x.d`;
    const test = (table: string, date: string, where: string, after: number) =>
      `EXISTS (SELECT 1 FROM ${table} t WHERE t.person_id = i.person_id AND ${where} AND t.${date} BETWEEN i.d - 90 AND i.d + ${after} AND t.${date} BETWEEN i.s AND i.e)`;
    const anyTest = [
      test("measurement", "measurement_date", `t.measurement_concept_id = ${MSI_HIGH}`, 14),
      test(
        "measurement",
        "measurement_date",
        `t.measurement_concept_id = ${MSI_LOINC} AND t.value_as_concept_id = ${MSI_H_VALUE}`,
        14,
      ),
      test("condition_occurrence", "condition_start_date", `t.condition_concept_id = ${MSI_HIGH_COLORECTAL}`, 7),
    ].join(" OR ");
    const tested = test(
      "measurement",
      "measurement_date",
      `t.measurement_concept_id = ${MSI_LOINC} AND t.value_as_concept_id IN (45884091, ${MSS_VALUE}, 45879403)`,
      14,
    ).replace("- 90", "- 7");
    const colonCancer = `EXISTS (SELECT 1 FROM condition_occurrence c WHERE c.person_id = i.person_id AND c.condition_concept_id = ${COLON_CANCER}
      AND c.condition_start_date BETWEEN i.d - 90 AND i.d AND c.condition_start_date BETWEEN i.s AND i.e)`;
    // The definition's other tests name concepts no generated row holds, and its colon cancers are the ones added.
    const { rows } = await sql(
      `SELECT 1 FROM measurement WHERE measurement_concept_id IN (35917471, 35917835, 35918368, 21493968, 21493969, 21493970, 21493971, 35977041)
       UNION ALL SELECT 1 FROM condition_occurrence WHERE condition_concept_id = 3173676
       UNION ALL SELECT 1 FROM condition_occurrence WHERE condition_concept_id IN ${set([], [COLON_CANCER, 443391])} AND condition_concept_id <> ${COLON_CANCER}`,
    );
    expect(rows).toHaveLength(0);
    const rules = [`NOT (${anyTest})`, tested, colonCancer];
    const expected: number[] = [];
    for (let k = 0; k <= rules.length; k++)
      expected.push(
        await handCount(
          `SELECT i.person_id FROM (${surgeries}) i WHERE ${["TRUE", ...rules.slice(0, k)].join(" AND ")}`,
        ),
      );
    expect(expected[3]).toBeGreaterThan(5);
    expect(expected[1]).toBeLessThan(expected[0]!);
    expect(expected[3]).toBeLessThan(expected[2]!);
    expect(await counted(phenotype(830))).toEqual(expected);
  });

  test("Heart failure during an inpatient or emergency visit (938): a diagnosis starting between the visit's start and its end", async () => {
    const visits = inPeriod(
      "visit_occurrence",
      "visit_start_date",
      `x.visit_concept_id IN ${set([], [262, 9203, 9201])}`,
    );
    const expected = await handCount(
      `SELECT v.person_id FROM (${visits}) v WHERE EXISTS (SELECT 1 FROM condition_occurrence c WHERE c.person_id = v.person_id
         AND c.condition_concept_id IN (${set([], [HEART_FAILURE])} EXCEPT ${set([], [315295])})
         AND c.condition_start_date BETWEEN v.d AND coalesce(v.visit_end_date, v.visit_start_date + 1)
         AND c.condition_start_date BETWEEN v.s AND v.e)`,
    );
    const onAdmission = await handCount(
      `SELECT v.person_id FROM (${visits}) v JOIN condition_occurrence c ON c.person_id = v.person_id
        WHERE c.condition_concept_id = ${HEART_FAILURE} AND c.condition_start_date = v.d`,
    );
    expect(expected).toBeGreaterThan(onAdmission);
    expect(await counted(phenotype(938))).toEqual([expected]);
  });

  test("Down syndrome (754): a second code within a year, unless a one-day pregnancy condition era sits on it", async () => {
    const first = `SELECT DISTINCT ON (x.person_id) x.* FROM (${inPeriod("condition_occurrence", "condition_start_date", `x.condition_concept_id IN ${set([], [DOWN_SYNDROME])}`)}) x
      ORDER BY x.person_id, x.d`;
    const second = `EXISTS (SELECT 1 FROM (${inPeriod("condition_occurrence", "condition_start_date", `x.condition_concept_id IN ${set([], [DOWN_SYNDROME])}`)}) c
      WHERE c.person_id = i.person_id AND c.d BETWEEN i.d + 1 AND i.d + 365 AND c.d BETWEEN i.s AND i.e
        AND NOT EXISTS (SELECT 1 FROM condition_era ce WHERE ce.person_id = c.person_id AND ce.condition_concept_id = ${PREGNANCY}
              AND ce.condition_era_start_date = c.d AND ce.condition_era_end_date = c.d AND ce.condition_era_start_date BETWEEN c.s AND c.e))`;
    const expected = [await handCount(first), await handCount(`SELECT i.person_id FROM (${first}) i WHERE ${second}`)];
    const anySecond = await handCount(
      `SELECT i.person_id FROM (${first}) i WHERE ${second.replace(/AND NOT EXISTS[\s\S]*\)\)$/, ")")}`,
    );
    expect(expected[1]).toBeGreaterThan(5);
    expect(expected[1]).toBeLessThan(anySecond);
    expect(await counted(phenotype(754))).toEqual(expected);
  });
});
