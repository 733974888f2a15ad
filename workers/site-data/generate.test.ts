import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dropDatabase } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { CONCEPT, CONCEPTS } from "@/protocol/omop/concepts";
import { generateSiteData, isCurrentSiteData, SiteDataExistsError, type GenerateSummary } from "./generate";
import { decodeGrayPng, hashFiles, hashTables } from "./test-helpers";

const adminUrl = inject("pgAdminUrl");
const PERSONS = 300;
const created: string[] = [];
const workDir = mkdtempSync(path.join(tmpdir(), "flip-site-data-"));

function target(label: string) {
  const database = `flip_sitegen_${label}_${randomBytes(4).toString("hex")}`;
  created.push(database);
  return { databaseUrl: withDatabase(adminUrl, database), dataDir: path.join(workDir, label) };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const first = target("a");
const second = target("b");
const otherSeed = target("c");
let summary: GenerateSummary;

beforeAll(async () => {
  // The databases do not exist yet: generation must create them.
  summary = await generateSiteData({ site: "KCH", persons: PERSONS, seed: 7, ...first });
  await generateSiteData({ site: "KCH", persons: PERSONS, seed: 7, ...second });
  await generateSiteData({ site: "KCH", persons: PERSONS, seed: 8, ...otherSeed });
});

afterAll(async () => {
  for (const database of created) await dropDatabase(adminUrl, database);
  rmSync(workDir, { recursive: true, force: true });
});

describe("generateSiteData", () => {
  it("is deterministic for a seed and differs across seeds", async () => {
    const [a, b, c] = await Promise.all([
      hashTables(first.databaseUrl),
      hashTables(second.databaseUrl),
      hashTables(otherSeed.databaseUrl),
    ]);
    expect(b).toEqual(a);
    expect(hashFiles(second.dataDir)).toBe(hashFiles(first.dataDir));
    expect(c.person).not.toBe(a.person);
    expect(c.measurement).not.toBe(a.measurement);
    expect(hashFiles(otherSeed.dataDir)).not.toBe(hashFiles(first.dataDir));
    // The vocabulary does not depend on the seed.
    expect(c.concept).toBe(a.concept);
  });

  it("reports row counts that match the database", async () => {
    expect(summary.rows.person).toBe(PERSONS);
    expect(summary.rows.concept).toBe(CONCEPTS.length);
    const [counts] = await query<{ persons: string; images: string; ct: string }>(
      first.databaseUrl,
      `SELECT (SELECT count(*) FROM person) AS persons, (SELECT count(*) FROM image_occurrence) AS images,
              (SELECT count(*) FROM image_occurrence WHERE modality_concept_id = ${CONCEPT.computedTomography}) AS ct`,
    );
    expect(Number(counts?.persons)).toBe(PERSONS);
    expect(Number(counts?.images)).toBe(summary.rows.image_occurrence);
    expect(Number(counts?.ct)).toBe(summary.imagesPerModality.CT);
    expect(summary.rows.image_occurrence).toBeGreaterThan(0);
    expect(summary.rows.image_occurrence).toBeLessThan(PERSONS); // only people with a study have images
  });

  it("keeps referential integrity: persons, procedures, visits, concepts, observation periods", async () => {
    const orphans = await query<{ check: string; n: string }>(
      first.databaseUrl,
      `SELECT 'image person' AS check, count(*) AS n FROM image_occurrence i LEFT JOIN person p USING (person_id) WHERE p.person_id IS NULL
       UNION ALL SELECT 'image procedure', count(*) FROM image_occurrence i LEFT JOIN procedure_occurrence po USING (procedure_occurrence_id)
         WHERE po.procedure_occurrence_id IS NULL OR po.person_id <> i.person_id
       UNION ALL SELECT 'image visit', count(*) FROM image_occurrence i LEFT JOIN visit_occurrence v USING (visit_occurrence_id) WHERE v.visit_occurrence_id IS NULL
       UNION ALL SELECT 'measurement person', count(*) FROM measurement m LEFT JOIN person p USING (person_id) WHERE p.person_id IS NULL
       UNION ALL SELECT 'condition person', count(*) FROM condition_occurrence c LEFT JOIN person p USING (person_id) WHERE p.person_id IS NULL
       UNION ALL SELECT 'unknown concept', count(*) FROM (
         SELECT condition_concept_id AS id FROM condition_occurrence UNION SELECT measurement_concept_id FROM measurement
         UNION SELECT unit_concept_id FROM measurement UNION SELECT drug_concept_id FROM drug_exposure
         UNION SELECT procedure_concept_id FROM procedure_occurrence UNION SELECT visit_concept_id FROM visit_occurrence
         UNION SELECT gender_concept_id FROM person UNION SELECT race_concept_id FROM person UNION SELECT modality_concept_id FROM image_occurrence
       ) used LEFT JOIN concept c ON c.concept_id = used.id WHERE c.concept_id IS NULL
       UNION ALL SELECT 'visit outside observation', count(*) FROM visit_occurrence v JOIN observation_period o USING (person_id)
         WHERE v.visit_start_date < o.observation_period_start_date OR v.visit_end_date > o.observation_period_end_date`,
    );
    expect(orphans.filter((row) => Number(row.n) !== 0)).toEqual([]);
  });

  it("writes a readable 64x64 grayscale PNG for every image_occurrence row, with visible stroke lesions", async () => {
    const rows = await query<{ local_path: string; modality_concept_id: number; is_post_stroke: boolean }>(
      first.databaseUrl,
      `SELECT i.local_path, i.modality_concept_id,
              EXISTS (SELECT 1 FROM condition_occurrence c WHERE c.person_id = i.person_id
                        AND c.condition_concept_id = ${CONCEPT.cerebralInfarction} AND c.condition_start_date <= i.image_occurrence_date) AS is_post_stroke
       FROM image_occurrence i ORDER BY i.image_occurrence_id`,
    );
    const darkest: Record<"positive" | "negative", number[]> = { positive: [], negative: [] };
    for (const row of rows) {
      expect(row.local_path).toMatch(/^images\/(CT|MR)\/2\.25\.\d+\.png$/);
      const file = path.join(first.dataDir, row.local_path);
      expect(existsSync(file)).toBe(true);
      const png = decodeGrayPng(readFileSync(file));
      expect([png.width, png.height, png.bitDepth, png.colourType]).toEqual([64, 64, 8, 0]);
      if (row.modality_concept_id === CONCEPT.computedTomography)
        darkest[row.is_post_stroke ? "positive" : "negative"].push(darkestBrainPatch(png.pixels));
    }
    expect(darkest.positive.length).toBeGreaterThan(3);
    expect(darkest.negative.length).toBeGreaterThan(3);
    // A hypodense infarct makes the darkest 5x5 patch inside the brain clearly darker than in normal scans.
    expect(mean(darkest.negative) - mean(darkest.positive)).toBeGreaterThan(12);
  });

  it("refuses to overwrite existing site data unless replace is set, and replace regenerates identically", async () => {
    const before = await hashTables(first.databaseUrl);
    await expect(generateSiteData({ site: "KCH", persons: 20, seed: 1, ...first })).rejects.toThrow(
      SiteDataExistsError,
    );
    await expect(generateSiteData({ site: "KCH", persons: 20, seed: 1, ...first })).rejects.toThrow(/pass --replace/);
    expect(await hashTables(first.databaseUrl)).toEqual(before);

    const imagesBefore = hashFiles(first.dataDir);
    await generateSiteData({ site: "KCH", persons: PERSONS, seed: 7, replace: true, ...first });
    expect(await hashTables(first.databaseUrl)).toEqual(before);
    expect(hashFiles(first.dataDir)).toBe(imagesBefore);
  });

  it("knows data of its own format and image store from data an older generator wrote", async () => {
    expect(await isCurrentSiteData(first.databaseUrl, "png")).toBe(true);
    expect(await isCurrentSiteData(first.databaseUrl, "dicom")).toBe(false);
    const stale = target("stale");
    expect(await isCurrentSiteData(stale.databaseUrl, "png")).toBe(false);
    await generateSiteData({ site: "KCH", persons: 20, seed: 1, ...stale });
    expect(await isCurrentSiteData(stale.databaseUrl, "png")).toBe(true);
    // A site from before the format stamp (or another format) is not current.
    await query(stale.databaseUrl, "UPDATE cdm_source SET cdm_etl_reference = NULL");
    expect(await isCurrentSiteData(stale.databaseUrl, "png")).toBe(false);
  });

  it("writes into a named schema", async () => {
    const named = target("schema");
    const result = await generateSiteData({ site: "UCLH", persons: 30, seed: 1, schema: "cdm", ...named });
    const [row] = await query<{ n: string }>(named.databaseUrl, "SELECT count(*) AS n FROM cdm.person");
    expect(Number(row?.n)).toBe(30);
    expect(result.schema).toBe("cdm");
  });
});

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Lowest 5x5 mean within 14 px of the centre: the brain interior, away from skull and air. */
function darkestBrainPatch(pixels: Uint8Array): number {
  let darkest = Infinity;
  for (let cy = 18; cy <= 46; cy++) {
    for (let cx = 18; cx <= 46; cx++) {
      if (Math.hypot(cx - 32, cy - 32) > 14) continue;
      let sum = 0;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) sum += pixels[(cy + dy) * 64 + cx + dx] ?? 0;
      darkest = Math.min(darkest, sum / 25);
    }
  }
  return darkest;
}
