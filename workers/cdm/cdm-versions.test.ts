import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { withDatabase } from "@/db/pg-connection";
import { dropDatabase } from "@/server/database/embedded-server";
import { ZCohortDefinition } from "@/protocol/cohort-definition";
import { CONCEPT as C } from "@/protocol/omop/concepts";
import { runCohort } from "../cohort/run-cohort";
import { TaskError } from "../release/failures";
import { createTableSql, qualified } from "../site-data/ddl";
import { generateSiteData } from "../site-data/generate";
import { createSiteDb, type SiteDb } from "../site-db";
import { siteInventoryTask } from "../tasks/site-inventory";
import { createTestGate, runThroughGate } from "../test-support/gate-fixture";
import { PROSTATE, quietLog } from "../test-support/training-site";
import { buildDataset } from "../training/dataset";
import { ZSitePolicy } from "../policy";
import { cdmTables } from "./cdm-tables";
import type { CdmVersion } from "./event-sources";

/**
 * CDM 5.3 and 5.4 site databases, each without the MI-CDM imaging tables: the tables the worker
 * reads are checked column by column (name, type, nullability) against the OHDSI specification
 * (spec/, from OHDSI/CommonDataModel), then both are built, filled with the same generated
 * persons, and every task kind's site work runs on them with the same results.
 */
type SpecColumn = { name: string; type: string; notNull: boolean };

function spec(version: CdmVersion): Map<string, SpecColumn[]> {
  const lines = readFileSync(path.join(import.meta.dirname, "spec", `OMOP_CDMv${version}_fields.csv`), "utf8")
    .trim()
    .split("\n")
    .slice(1);
  const tables = new Map<string, SpecColumn[]>();
  for (const line of lines) {
    const [table, name, required, datatype] = line.split(",") as [string, string, string, string];
    const type = datatype.toLowerCase();
    const ours =
      type === "datetime" ? "timestamp" : type === "float" ? "numeric" : type === "varchar(max)" ? "text" : type;
    tables.set(table, [...(tables.get(table) ?? []), { name, type: ours, notNull: required === "Yes" }]);
  }
  return tables;
}

const byName = (a: SpecColumn, b: SpecColumn) => a.name.localeCompare(b.name);

describe.each(["5.3", "5.4"] as const)("CDM %s tables against the OHDSI specification", (version) => {
  test("every column the worker's DDL creates, with the specification's type and nullability, and none missing", () => {
    const specified = spec(version);
    for (const def of cdmTables(version, { withImaging: false })) {
      const expected = specified.get(def.name);
      expect(expected, `${def.name} is in the CDM ${version} specification`).toBeDefined();
      const actual = def.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull }));
      expect([...actual].sort(byName), def.name).toEqual([...expected!].sort(byName));
    }
  });
});

const adminUrl = inject("pgAdminUrl");
const database = `flip_cdm_${randomBytes(4).toString("hex")}`;
const url = withDatabase(adminUrl, database);
const dataDir = mkdtempSync(path.join(tmpdir(), "flip-cdm-"));
const sites = {} as Record<CdmVersion, SiteDb>;

beforeAll(async () => {
  await generateSiteData({ site: "GSTT", persons: 2500, seed: 5, databaseUrl: url, dataDir, schema: "cdm54" });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // The official OHDSI DDL has no MI-CDM tables.
    await client.query(`DROP TABLE ${qualified("cdm54", "image_occurrence")}`);
    await client.query(`CREATE SCHEMA cdm53`);
    const tables54 = cdmTables("5.4", { withImaging: false });
    for (const [i, def53] of cdmTables("5.3", { withImaging: false }).entries()) {
      const def54 = tables54[i]!;
      await client.query(createTableSql("cdm53", def53));
      const targets = def53.columns.map((c) => c.name);
      const sources = targets.map((name) =>
        def54.columns.some((c) => c.name === name) ? name : renamedFrom(def54, def53, name),
      );
      await client.query(
        `INSERT INTO ${qualified("cdm53", def53.name)} (${targets.join(", ")}) SELECT ${sources.join(", ")} FROM ${qualified("cdm54", def54.name)}`,
      );
    }
    await client.query(`UPDATE cdm53.cdm_source SET cdm_version = 'v5.3.1'`);
  } finally {
    await client.end();
  }
  for (const version of ["5.3", "5.4"] as const)
    sites[version] = createSiteDb({
      url,
      schema: version === "5.3" ? "cdm53" : "cdm54",
      maxConnections: 2,
      log: quietLog,
    });
});

afterAll(async () => {
  await Promise.all(Object.values(sites).map((db) => db.close()));
  await dropDatabase(adminUrl, database);
  rmSync(dataDir, { recursive: true, force: true });
});

function renamedFrom(
  def54: { columns: readonly { name: string }[] },
  def53: { columns: readonly { name: string }[] },
  name: string,
): string {
  const names54 = def54.columns.map((c) => c.name).filter((n) => !def53.columns.some((c) => c.name === n));
  const names53 = def53.columns.map((c) => c.name).filter((n) => !def54.columns.some((c) => c.name === n));
  return names54[names53.indexOf(name)] ?? "NULL";
}

const policy = ZSitePolicy.parse({ site: "GSTT", minCellCount: 5, roundingBase: 1 });

async function inventory(version: CdmVersion) {
  const siteDb = sites[version];
  const outcome = await runThroughGate(
    siteInventoryTask,
    {},
    {
      taskId: "t",
      attempt: 1,
      signal: new AbortController().signal,
      log: quietLog,
      policy,
      siteDb,
      dataDir,
      progress: async () => undefined,
      downloadWeights: () => Promise.reject(new Error("none")),
    },
    createTestGate(policy).gate,
  );
  if (outcome.type !== "complete") throw new Error(JSON.stringify(outcome));
  return outcome.result as Record<string, unknown>;
}

const count = (version: CdmVersion, definition: unknown) =>
  sites[version].readOnly(
    (query) => runCohort(query, ZCohortDefinition.parse(definition), { table: sites[version].table }),
    { statementTimeoutMs: 30_000 },
  );

describe("every task kind on CDM 5.3 and 5.4 without the MI-CDM tables", () => {
  test("site inventory: the version from cdm_source, imaging not available, the same figures", async () => {
    const [v53, v54] = [await inventory("5.3"), await inventory("5.4")];
    expect(v54).toMatchObject({ cdmVersion: "5.4", imagingAvailable: false, imagesByModality: {}, persons: 2500 });
    expect(v53).toEqual({ ...v54, cdmVersion: "5.3" });
  });

  test("cohort count: procedure end dates read per version, the same counts; imaging criteria refused by name", async () => {
    const definition = {
      version: 1,
      entry: { type: "procedure", concepts: [{ conceptId: C.prostateBiopsy }] },
      observationWindow: { priorDays: 0, postDays: 0 },
      inclusionRules: [
        {
          name: "PSA before the biopsy",
          group: {
            kind: "group",
            operator: "AND",
            items: [
              {
                kind: "criterion",
                criterion: { type: "measurement", concepts: [{ conceptId: C.psa }], value: { min: 4 } },
                window: { startDays: -365, endDays: 0 },
                endWindow: { startDays: -365 },
              },
            ],
          },
        },
      ],
    };
    const [v53, v54] = [await count("5.3", definition), await count("5.4", definition)];
    expect(v54.counts.attrition[0]).toBeGreaterThan(10);
    expect(v54.counts.attrition[1]).toBeGreaterThan(0);
    expect(v53.counts).toEqual(v54.counts);
    for (const version of ["5.3", "5.4"] as const) {
      const refused = count(version, { version: 1, entry: { type: "imaging", modality: "CT" } });
      await expect(refused).rejects.toBeInstanceOf(TaskError);
      await expect(refused).rejects.toMatchObject({ failure: { reason: "imaging_not_available" } });
    }
  });

  test("training and evaluation data: the same tabular examples from both versions", async () => {
    const build = (version: CdmVersion) =>
      buildDataset(
        {
          cohort: PROSTATE.cohort,
          model: PROSTATE.model,
          split: { seed: "cdm", validationFraction: 0.2, testFraction: 0.2 },
        },
        {
          siteDb: sites[version],
          signal: new AbortController().signal,
          dataDir,
          log: quietLog,
          progress: async () => undefined,
        },
        [0, 100],
      );
    const [v53, v54] = [await build("5.3"), await build("5.4")];
    expect(v54.train.count).toBeGreaterThan(50);
    expect(v53).toEqual(v54);
  });
});
