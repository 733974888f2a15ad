import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { EUNOMIA_FIXTURE } from "@/server/vocabulary/fixtures/eunomia";
import { AthenaFileError } from "./athena-files";
import { loadVocabulary, VocabularyLoadError } from "./load-vocabulary";

const testDb = useTestDatabase();
const folders: string[] = [];
afterAll(() => Promise.all(folders.map((f) => rm(f, { recursive: true, force: true }))));

async function copyOfFixture() {
  const folder = await mkdtemp(join(tmpdir(), "flip-vocab-"));
  folders.push(folder);
  await cp(EUNOMIA_FIXTURE, folder, { recursive: true });
  return folder;
}

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  const { rows } = await testDb.db().$client.query<T>(text, values);
  return rows;
}

const counts = () =>
  query<{ concepts: number; relationships: number; ancestors: number; loads: string }>(
    `SELECT (SELECT count(*)::int FROM vocab.concept) AS concepts,
            (SELECT count(*)::int FROM vocab.concept_relationship) AS relationships,
            (SELECT count(*)::int FROM vocab.concept_ancestor) AS ancestors,
            (SELECT string_agg(status, ',' ORDER BY created_at) FROM vocabulary_loads) AS loads`,
  ).then((r) => r[0]!);

async function editLine(folder: string, file: string, lineNumber: number, edit: (line: string) => string) {
  const lines = (await readFile(join(folder, file), "utf8")).split("\n");
  lines[lineNumber - 1] = edit(lines[lineNumber - 1]!);
  await writeFile(join(folder, file), lines.join("\n"));
}

// In order, on one database: a first load, a repeat, bad downloads against a live vocabulary, a resume.
describe("loadVocabulary", () => {
  it("loads the real Eunomia rows from Athena's layout and records the release", async () => {
    const result = await loadVocabulary(testDb.url(), { folder: EUNOMIA_FIXTURE });

    expect(result).toMatchObject({ status: "loaded", version: "v5.0 09-APR-22*", resumed: false });
    expect(result.rows).toMatchObject({
      "CONCEPT.csv": 2294,
      "CONCEPT_RELATIONSHIP.csv": 5178,
      "CONCEPT_ANCESTOR.csv": 2309,
    });
    expect(await counts()).toEqual({ concepts: 2294, relationships: 5178, ancestors: 2309, loads: "live" });
    const [t2dm] = await query(
      "SELECT concept_name, vocabulary_id, standard_concept, concept_code, valid_start_date::text AS start FROM vocab.concept WHERE concept_id = 201826",
    );
    expect(t2dm).toEqual({
      concept_name: "Type 2 diabetes mellitus",
      vocabulary_id: "SNOMED",
      standard_concept: "S",
      concept_code: "44054006",
      start: "2002-01-31",
    });
  });

  it("leaves a live vocabulary alone when the same download is loaded again", async () => {
    const result = await loadVocabulary(testDb.url(), { folder: EUNOMIA_FIXTURE });
    expect(result.status).toBe("unchanged");
    expect(await counts()).toEqual({ concepts: 2294, relationships: 5178, ancestors: 2309, loads: "live" });
  });

  it("names file, line and column of a bad date and keeps the previous vocabulary", async () => {
    const folder = await copyOfFixture();
    await editLine(folder, "CONCEPT.csv", 7, (line) => line.replace(/\t(\d{4})(\d{2})(\d{2})\t/, "\t$1-$2-$3\t"));
    const before = await counts();

    const error = await loadVocabulary(testDb.url(), { folder }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AthenaFileError);
    expect((error as Error).message).toMatch(
      /^CONCEPT\.csv, line 7, column valid_start_date: expected a date as YYYYMMDD \(Athena's format\), found "\d{4}-\d{2}-\d{2}"$/,
    );
    expect(await counts()).toEqual({ ...before, loads: "live,abandoned" });
    expect(await query("SELECT 1 FROM pg_namespace WHERE nspname = 'vocab_staging'")).toHaveLength(0);
  });

  it("refuses a comma-separated file, a short row and a duplicate key, each by file and line", async () => {
    const commas = await copyOfFixture();
    await writeFile(join(commas, "DOMAIN.csv"), "domain_id,domain_name,domain_concept_id\nCondition,Condition,19\n");
    await expect(loadVocabulary(testDb.url(), { folder: commas })).rejects.toThrow(
      'DOMAIN.csv, line 1, column domain_id: the header should be the tab-separated columns domain_id, domain_name, domain_concept_id; found "domain_id,domain_name,domain_concept_id" in position 1 (is the file tab-delimited?)',
    );

    const short = await copyOfFixture();
    await editLine(short, "CONCEPT_RELATIONSHIP.csv", 3, (line) => line.split("\t").slice(0, 4).join("\t"));
    await expect(loadVocabulary(testDb.url(), { folder: short })).rejects.toThrow(
      "CONCEPT_RELATIONSHIP.csv, line 3: expected 6 tab-separated values, found 4",
    );

    const twice = await copyOfFixture();
    const lines = (await readFile(join(twice, "CONCEPT.csv"), "utf8")).split("\n");
    await writeFile(join(twice, "CONCEPT.csv"), [...lines.slice(0, -1), lines[4], ""].join("\n"));
    const id = lines[4]!.split("\t")[0];
    await expect(loadVocabulary(testDb.url(), { folder: twice })).rejects.toThrow(
      `CONCEPT.csv, line ${lines.length}, column concept_id: concept_id ${id} appears more than once (lines 5 and ${lines.length}); each must be unique`,
    );
    expect(await counts()).toMatchObject({ concepts: 2294, relationships: 5178, ancestors: 2309 });
  });

  it("refuses a folder that lacks a file before touching anything", async () => {
    const folder = await copyOfFixture();
    await rm(join(folder, "CONCEPT_ANCESTOR.csv"));
    const error = await loadVocabulary(testDb.url(), { folder }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VocabularyLoadError);
    expect((error as Error).message).toContain("lacks CONCEPT_ANCESTOR.csv; an Athena download holds all of");
  });

  it("resumes an interrupted load after its last committed chunk and then swaps it in", async () => {
    const folder = await copyOfFixture();
    await editLine(folder, "CONCEPT.csv", 2, (line) =>
      line.replace("\tPrediabetes\t", "\tPrediabetes (resumed load)\t"),
    );
    // Interrupt: a connection that dies while CONCEPT_RELATIONSHIP.csv is streaming, after its first chunk.
    const stopped = await loadVocabulary(testDb.url(), {
      folder,
      chunkRows: 1000,
      onProgress: (event) => {
        if (event.phase === "file" && event.file === "CONCEPT_RELATIONSHIP.csv" && event.rows >= 1000)
          throw new Error("interrupted");
      },
    }).catch((e: unknown) => e);
    expect((stopped as Error).message).toBe("interrupted");
    const [pending] = await query<{ progress: Record<string, { rows: number; done: boolean }> }>(
      "SELECT progress FROM vocabulary_loads WHERE status = 'loading'",
    );
    expect(pending!.progress["CONCEPT.csv"]).toEqual({ rows: 2294, done: true });
    expect(pending!.progress["CONCEPT_RELATIONSHIP.csv"]!.done).toBe(false);
    expect(await query("SELECT concept_name FROM vocab.concept WHERE concept_id = 40316773")).toEqual([
      { concept_name: "Prediabetes" },
    ]);

    const resumed = await loadVocabulary(testDb.url(), { folder, chunkRows: 1000 });

    expect(resumed).toMatchObject({ status: "loaded", resumed: true });
    expect(await counts()).toMatchObject({ concepts: 2294, relationships: 5178, ancestors: 2309 });
    expect(await query("SELECT concept_name FROM vocab.concept WHERE concept_id = 40316773")).toEqual([
      { concept_name: "Prediabetes (resumed load)" },
    ]);
    expect((await counts()).loads.split(",").filter((s) => s === "live")).toHaveLength(1);
  });
});
