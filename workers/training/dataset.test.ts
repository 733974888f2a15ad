import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { buildDataset } from "./dataset";
import { createTestSite, PROSTATE, STROKE, testContext, type TestSite } from "../test-support/training-site";

/** Datasets built from a generated site: shapes, labels, the person-level split and what the SQL computes. */
const adminUrl = inject("pgAdminUrl");
let site: TestSite;
const split = { seed: "job-1", validationFraction: 0.25 };

beforeAll(async () => {
  site = await createTestSite(adminUrl, 1500);
});
afterAll(async () => {
  await site?.drop();
});

const count = async (sql: string) =>
  Number((await site.siteDb.readOnly((q) => q<{ n: string }>(sql), { statementTimeoutMs: 10_000 }))[0]?.n);

describe("tabular dataset (prostate cancer risk)", () => {
  test("one example per PSA-tested person, two standardised columns, both labels, a person-level split", async () => {
    const dataset = await buildDataset({ ...PROSTATE, split }, testContext(site), [0, 1]);
    expect(dataset.exampleShape).toEqual([2]);
    const persons = await count(
      "SELECT count(DISTINCT person_id) AS n FROM measurement WHERE measurement_concept_id = 3013603",
    );
    expect(dataset.train.count + dataset.validation.count + dataset.test.count).toBe(persons);
    expect(dataset.train.x.length).toBe(dataset.train.count * 2);
    expect(dataset.validation.count / persons).toBeGreaterThan(0.15);
    expect(dataset.validation.count / persons).toBeLessThan(0.35);
    expect(dataset.test.count / persons).toBeGreaterThan(0.1);
    for (const examples of [dataset.train, dataset.validation, dataset.test]) {
      const positives = examples.y.reduce((sum, y) => sum + y, 0);
      expect(positives).toBeGreaterThan(0);
      expect(positives).toBeLessThan(examples.count);
      expect(examples.x.every(Number.isFinite)).toBe(true);
    }
    // Standardised with the training split's own statistics: mean 0, sd 1 there.
    for (const column of [0, 1]) {
      const values = Array.from({ length: dataset.train.count }, (_, i) => dataset.train.x[i * 2 + column]!);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(sd).toBeCloseTo(1, 3);
    }
  });

  test("labels count persons with prostate cancer (or a descendant) within 1095 days on or after the first PSA", async () => {
    const dataset = await buildDataset({ ...PROSTATE, split }, testContext(site), [0, 1]);
    const positives = [dataset.train, dataset.validation, dataset.test].reduce(
      (sum, e) => sum + e.y.reduce((a, b) => a + b, 0),
      0,
    );
    const expected = await count(`
      WITH idx AS (SELECT person_id, min(measurement_date) AS d FROM measurement WHERE measurement_concept_id = 3013603 GROUP BY person_id)
      SELECT count(*) AS n FROM idx WHERE EXISTS (
        SELECT 1 FROM condition_occurrence c JOIN concept_ancestor a ON a.descendant_concept_id = c.condition_concept_id AND a.ancestor_concept_id = 4163261
         WHERE c.person_id = idx.person_id AND c.condition_start_date BETWEEN idx.d AND idx.d + 1095)`);
    expect(positives).toBe(expected);
  });

  test("the split is the same for every task of a job", async () => {
    const first = await buildDataset({ ...PROSTATE, split }, testContext(site), [0, 1]);
    const again = await buildDataset({ ...PROSTATE, split }, testContext(site), [0, 1]);
    expect(again.validation).toEqual(first.validation);
    expect(again.test).toEqual(first.test);
  });
});

describe("image dataset (stroke on CT)", () => {
  test("one 64x64x1 example per CT image of a cohort member, windowed to [-1, 1], with both labels", async () => {
    const dataset = await buildDataset({ ...STROKE, split }, testContext(site), [0, 1]);
    expect(dataset.exampleShape).toEqual([64, 64, 1]);
    const images = await count("SELECT count(*) AS n FROM image_occurrence WHERE modality_concept_id = 4300757");
    expect(dataset.train.count + dataset.validation.count + dataset.test.count).toBe(images);
    const all = [...dataset.train.y, ...dataset.validation.y, ...dataset.test.y];
    expect(all.filter((y) => y === 1).length).toBe(
      await count(`SELECT count(*) AS n FROM image_occurrence i WHERE modality_concept_id = 4300757
        AND EXISTS (SELECT 1 FROM condition_occurrence c WHERE c.person_id = i.person_id AND c.condition_concept_id = 443454 AND c.condition_start_date <= i.image_occurrence_date)`),
    );
    expect(all.some((y) => y === 0)).toBe(true);
    expect(dataset.train.x.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(dataset.train.x.some((v) => v === -1)).toBe(true); // air saturates at the bottom of the window
    expect(dataset.train.x.some((v) => v === 1)).toBe(true); // and bone at the top
  });

  test("a CT-procedure cohort selects the same scans; resizing and 3 channels follow the spec; evaluation reads only held-out scans", async () => {
    const byProcedure = await buildDataset(
      { cohort: STROKE.cohortByProcedure, model: STROKE.model, split },
      testContext(site),
      [0, 1],
    );
    const byImage = await buildDataset({ ...STROKE, split }, testContext(site), [0, 1]);
    expect(byProcedure.validation.count).toBe(byImage.validation.count);
    const input = { ...STROKE.model.input, height: 32, width: 32, channels: 3 as const };
    const resized = await buildDataset(
      { ...STROKE, model: { ...STROKE.model, input }, split, isTestOnly: true },
      testContext(site),
      [0, 1],
    );
    expect(resized.exampleShape).toEqual([32, 32, 3]);
    expect(resized.train.count).toBe(0);
    expect(resized.validation.count).toBe(0);
    expect(resized.test.count).toBe(byImage.test.count);
    expect(resized.test.x.length).toBe(resized.test.count * 32 * 32 * 3);
    expect(resized.test.x[0]).toBe(resized.test.x[2]);
  });
});
