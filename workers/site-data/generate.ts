import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { buildConceptAncestors, CONCEPTS } from "@/protocol/omop/concepts";
import type { TableName } from "@/protocol/omop/tables";
import { constraintSql, createTableSql, qualified, TABLES } from "./ddl";
import { storeSeriesInPacs, writeDicomSeries } from "./dicom-images";
import { EVENT_TABLES, isoDate, REFERENCE_DAY, type ImageStore } from "./events";
import { writeImageFiles } from "./images";
import { streamPopulation } from "./persons";
import { resolveSiteProfile, type SiteProfile } from "./profiles";
import { connectCreatingDatabase, databaseName } from "@/db/pg-connection";
import { copyBuffer, TableBuffer } from "./writer";

export type GenerateProgress = { phase: "persons" | "database" | "images"; done: number; total: number };

export type GenerateOptions = {
  site: string;
  persons: number;
  databaseUrl: string;
  dataDir: string;
  seed: number;
  /** Schema for the CDM tables (the worker reads `FLIP_SITE_DB_SCHEMA`); default `public`. */
  schema?: string;
  /** Drop and recreate existing CDM tables and images instead of refusing. */
  replace?: boolean;
  /** How scans are stored: PNG slices (default), DICOM series folders, or DICOM series on a PACS. */
  images?: ImageStore;
  /** The PACS's DICOMweb root and an optional header line (e.g. `Authorization: Basic ...`), for `images: "pacs"`. */
  pacs?: { url: string; authHeader?: string };
  /** Counts only, never patient-level values: safe to log. */
  onProgress?: (progress: GenerateProgress) => void;
};

export type GenerateSummary = {
  site: string;
  database: string;
  schema: string;
  seed: number;
  rows: Record<TableName, number>;
  imagesPerModality: Record<string, number>;
  elapsedMs: number;
};

/** Thrown when the target already holds CDM tables or images and `replace` was not asked for. */
export class SiteDataExistsError extends Error {}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const SITE_CODE = /^[A-Za-z][A-Za-z0-9_]{0,15}$/;

function validate(options: GenerateOptions): void {
  if (!SITE_CODE.test(options.site))
    throw new Error(
      `invalid site code "${options.site}": letters, digits and _ only, starting with a letter, at most 16`,
    );
  if (!Number.isInteger(options.persons) || options.persons < 1 || options.persons > 1_000_000)
    throw new Error("persons must be an integer from 1 to 1000000");
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 2 ** 32 - 1)
    throw new Error("seed must be an integer from 0 to 4294967295");
  if (!IDENTIFIER.test(options.schema ?? "public"))
    throw new Error(`invalid schema "${options.schema}": lower-case letters, digits and _ only`);
  if (!options.dataDir) throw new Error("dataDir is required");
  if ((options.images === "pacs") !== (options.pacs !== undefined))
    throw new Error(
      "a PACS URL is needed exactly when the images are stored on the PACS (--images pacs --pacs-url <url>)",
    );
}

/**
 * The layout this generator writes: raise it when its tables, columns or image files change, so the
 * demo regenerates a site made by an older one instead of running workers on incomplete data.
 */
const SITE_DATA_FORMAT = 3;

/** Persons whose rows are generated and loaded together (about 12 MB of measurement rows). */
const PERSONS_PER_BATCH = 10_000;

/** What cdm_source.cdm_etl_reference says of a generated site: the format and how its images are stored. */
function siteDataStamp(images: ImageStore | undefined): string {
  return `FLIP workers/site-data format ${SITE_DATA_FORMAT}, ${images ?? "png"} images`;
}

/** True when the site database holds data this generator wrote in its current format with this image store. */
export async function isCurrentSiteData(databaseUrl: string, images: ImageStore | undefined): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
    const { rows } = await client.query<{ stamp: string | null }>(
      "SELECT cdm_etl_reference AS stamp FROM public.cdm_source LIMIT 1",
    );
    return rows[0]?.stamp === siteDataStamp(images);
  } catch {
    // No cdm_source table (or no database): not data of this format.
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function vocabularyBuffers(profile: SiteProfile, seed: number, images: ImageStore | undefined): TableBuffer[] {
  const concept = new TableBuffer("concept");
  for (const c of CONCEPTS) {
    concept.push({
      concept_id: c.id,
      concept_name: c.name,
      domain_id: c.domain,
      vocabulary_id: c.vocabulary,
      concept_class_id: c.conceptClass,
      standard_concept: c.standard ? "S" : null,
      concept_code: c.code,
      valid_start_date: "1970-01-01",
      valid_end_date: "2099-12-31",
    });
  }
  const ancestor = new TableBuffer("concept_ancestor");
  for (const a of buildConceptAncestors(CONCEPTS)) {
    ancestor.push({
      ancestor_concept_id: a.ancestor,
      descendant_concept_id: a.descendant,
      min_levels_of_separation: a.minLevels,
      max_levels_of_separation: a.maxLevels,
    });
  }
  const source = new TableBuffer("cdm_source");
  source.push({
    cdm_source_name: `${profile.name} (synthetic)`,
    cdm_source_abbreviation: profile.code,
    cdm_holder: "FLIP synthetic site data",
    source_description: `Synthetic patients generated by FLIP workers/site-data with seed ${seed}. Not real patient data.`,
    cdm_etl_reference: siteDataStamp(images),
    source_release_date: isoDate(REFERENCE_DAY),
    cdm_release_date: isoDate(REFERENCE_DAY),
    cdm_version: "5.4",
    cdm_version_concept_id: 756265, // "OMOP CDM Version 5.4.0"
    vocabulary_version: "FLIP curated subset",
  });
  return [concept, ancestor, source];
}

async function existingTables(client: pg.ClientBase, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2) ORDER BY table_name",
    [schema, TABLES.map((t) => t.name)],
  );
  return rows.map((r) => r.table_name);
}

/** Creates (or with `replace`, recreates) a synthetic OMOP CDM 5.4 + MI-CDM site database and its image files. */
export async function generateSiteData(options: GenerateOptions): Promise<GenerateSummary> {
  validate(options);
  const started = performance.now();
  const schema = options.schema ?? "public";
  const profile = resolveSiteProfile(options.site, options.seed);
  const imagesDir = path.join(options.dataDir, "images");
  const report = options.onProgress ?? (() => {});

  const client = await connectCreatingDatabase(options.databaseUrl);
  try {
    const found = await existingTables(client, schema);
    const hasImages = existsSync(imagesDir) && readdirSync(imagesDir).length > 0;
    if (!options.replace && (found.length > 0 || hasImages)) {
      const what =
        found.length > 0 ? `tables ${found.join(", ")} in schema "${schema}"` : `image files in ${imagesDir}`;
      throw new SiteDataExistsError(`site data already exists (${what}); pass --replace to drop and regenerate it`);
    }

    const progressEvery = Math.max(1, Math.floor(options.persons / 20));
    const population = {
      profile,
      seed: options.seed,
      persons: options.persons,
      imageStore: options.images,
      onPerson: (done: number) => {
        if (done % progressEvery === 0 || done === options.persons)
          report({ phase: "persons", done, total: options.persons });
      },
    };
    const vocabulary = vocabularyBuffers(profile, options.seed, options.images);
    const rows = Object.fromEntries(vocabulary.map((b) => [b.def.name, b.rowCount])) as Record<TableName, number>;

    await client.query("BEGIN");
    let imagesTouched = false;
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(schema)}`);
      for (const name of found) await client.query(`DROP TABLE ${qualified(schema, name)} CASCADE`);
      for (const def of TABLES) await client.query(createTableSql(schema, def));
      for (const buffer of vocabulary) await copyBuffer(client, schema, buffer);
      // Rows go to PostgreSQL a batch of persons at a time: memory stays flat from 100 to 1,000,000 persons.
      let batches = 0;
      const totalBatches = Math.ceil(options.persons / PERSONS_PER_BATCH);
      const writer = await streamPopulation(population, PERSONS_PER_BATCH, async (batch) => {
        for (const table of EVENT_TABLES) {
          const buffer = batch.tables[table];
          rows[table] = (rows[table] ?? 0) + buffer.rowCount;
          await copyBuffer(client, schema, buffer);
        }
        report({ phase: "database", done: ++batches, total: totalBatches + 1 });
      });
      // Keys and indexes after the load: one sorted build each instead of per-row maintenance.
      await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
      for (const def of TABLES) for (const statement of constraintSql(schema, def)) await client.query(statement);
      report({ phase: "database", done: totalBatches + 1, total: totalBatches + 1 });
      // Images are written inside the transaction's lifetime so a failure leaves neither rows nor files.
      imagesTouched = true;
      rmSync(imagesDir, { recursive: true, force: true });
      const imageEvery = Math.max(1, Math.floor(writer.images.length / 10));
      const onImage = (done: number) => {
        if (done % imageEvery === 0 || done === writer.images.length)
          report({ phase: "images", done, total: writer.images.length });
      };
      const imagesPerModality =
        options.images === "pacs"
          ? await storeSeriesInPacs(pacsSettings(options.pacs!), writer.images, profile, onImage)
          : options.images === "dicom"
            ? writeDicomSeries(options.dataDir, writer.images, profile, onImage)
            : writeImageFiles(options.dataDir, writer.images, profile, onImage);
      await client.query("COMMIT");
      return {
        site: profile.code,
        database: databaseName(options.databaseUrl),
        schema,
        seed: options.seed,
        rows,
        imagesPerModality,
        elapsedMs: Math.round(performance.now() - started),
      };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      if (imagesTouched) rmSync(imagesDir, { recursive: true, force: true });
      throw error;
    }
  } finally {
    await client.end();
  }
}

function pacsSettings(pacs: { url: string; authHeader?: string }): {
  baseUrl: string;
  headers: Record<string, string>;
} {
  const colon = pacs.authHeader?.indexOf(":") ?? -1;
  const headers =
    pacs.authHeader && colon > 0
      ? { [pacs.authHeader.slice(0, colon).trim().toLowerCase()]: pacs.authHeader.slice(colon + 1).trim() }
      : {};
  return { baseUrl: pacs.url, headers };
}
