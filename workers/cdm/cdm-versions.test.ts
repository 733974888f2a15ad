import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
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
import { columnSql, constraintSql, createTableSql, qualified } from "../site-data/ddl";
import { generateSiteData } from "../site-data/generate";
import { createSiteDb, type SiteDb } from "../site-db";
import { siteInventoryTask } from "../tasks/site-inventory";
import { createTestGate, runThroughGate } from "../test-support/gate-fixture";
import { PROSTATE, quietLog } from "../test-support/training-site";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel, readWeights } from "@/protocol/models/weights";
import { decodeTensors, encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import type { TaskKind } from "@/protocol/contract";
import { buildOnBestBackend } from "../training/backend";
import type { TaskHandler, TaskOutcome } from "../tasks/base";
import { cohortCountTask } from "../tasks/cohort-count";
import { evaluateTask } from "../tasks/evaluate";
import { trainTask } from "../tasks/train";
import { ZSitePolicy } from "../policy";
import { byName, readCdmSpec, specType } from "../test-support/cdm-spec";
import { cdmTables, columnIn54 } from "./cdm-tables";
import type { CdmVersion } from "./event-sources";

/**
 * CDM 5.3 and 5.4 site databases with every table of the specification and without the MI-CDM
 * imaging tables: the DDL (tables/, cdm-tables.ts) is checked column by column (name, type,
 * nullability) against the OHDSI specification (spec/, from OHDSI/CommonDataModel), both databases
 * are built from it and filled with the same generated persons, what PostgreSQL then holds is checked
 * against the specification again, and every task kind runs on both with the same results.
 */
describe.each(["5.3", "5.4"] as const)("CDM %s tables against the OHDSI specification", (version) => {
  test("every table and column of the specification, with its type and nullability, and nothing else", () => {
    const specified = readCdmSpec(version);
    const tables = cdmTables(version);
    expect(tables.map((t) => t.name).sort()).toEqual([...specified.keys()].sort());
    for (const def of tables) {
      const actual = def.columns.map((c) => ({ name: c.name, type: c.type, notNull: c.notNull }));
      expect([...actual].sort(byName), def.name).toEqual([...specified.get(def.name)!].sort(byName));
    }
  });
});

const adminUrl = inject("pgAdminUrl");
const database = `flip_cdm_${randomBytes(4).toString("hex")}`;
const url = withDatabase(adminUrl, database);
const dataDir = mkdtempSync(path.join(tmpdir(), "flip-cdm-"));
const sites = {} as Record<CdmVersion, SiteDb>;

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await generateSiteData({ site: "GSTT", persons: 2500, seed: 5, databaseUrl: url, dataDir, schema: "cdm54" });
  await withClient(async (client) => {
    // The official OHDSI DDL has no MI-CDM tables.
    await client.query(`DROP TABLE ${qualified("cdm54", "image_occurrence")}`);
    await client.query(`CREATE SCHEMA cdm53`);
    const tables54 = new Map(cdmTables("5.4").map((def) => [def.name, def]));
    for (const def53 of cdmTables("5.3")) {
      await client.query(createTableSql("cdm53", def53));
      const def54 = tables54.get(def53.name);
      if (def54) {
        const targets = def53.columns.map((c) => c.name);
        const sources = targets.map((name) => columnIn54(def53.name, name));
        const values = sources.map((name) => (def54.columns.some((c) => c.name === name) ? columnSql(name) : "NULL"));
        await client.query(
          `INSERT INTO ${qualified("cdm53", def53.name)} (${targets.map(columnSql).join(", ")}) SELECT ${values.join(", ")} FROM ${qualified("cdm54", def53.name)}`,
        );
      }
      for (const statement of constraintSql("cdm53", def53)) await client.query(statement);
    }
    await client.query(`UPDATE cdm53.cdm_source SET cdm_version = 'v5.3.1'`);
  });
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

const policy = ZSitePolicy.parse({
  site: "GSTT",
  minCellCount: 5,
  roundingBase: 1,
  allowedTaskKinds: ["site_inventory", "cohort_count", "train", "evaluate"],
});
let global: { tensors: NamedTensor[]; sha256: string };
const architecture = buildTemplate("logistic_regression", {
  task: "binary_classification",
  input: PROSTATE.model.input,
});

beforeAll(async () => {
  const { model } = await buildOnBestBackend(() => buildModel(architecture), [2], quietLog);
  const { manifest, tensors } = decodeTensors(encodeTensors(readWeights(model)));
  model.dispose();
  global = { tensors, sha256: manifest.sha256 };
});

/** Runs a task handler as the worker does (through a fresh release gate) on one version's database. */
async function runTask<K extends TaskKind>(version: CdmVersion, handler: TaskHandler<K>, payload: unknown) {
  const outcome = await runThroughGate(
    handler,
    payload,
    {
      taskId: randomUUID(),
      attempt: 1,
      signal: new AbortController().signal,
      log: quietLog,
      policy,
      siteDb: sites[version],
      dataDir,
      progress: async () => undefined,
      downloadWeights: async () => global,
    },
    createTestGate(policy).gate,
  );
  if (outcome.type === "fail") throw new Error(`${handler.kind} on CDM ${version}: ${JSON.stringify(outcome)}`);
  return outcome;
}

const result = (outcome: TaskOutcome) => (outcome as { result: Record<string, unknown> }).result;

const count = (version: CdmVersion, definition: unknown) =>
  sites[version].readOnly(
    (query) => runCohort(query, ZCohortDefinition.parse(definition), { table: sites[version].table }),
    { statementTimeoutMs: 30_000 },
  );

describe("the built databases", () => {
  test.each(["5.3", "5.4"] as const)(
    "CDM %s: PostgreSQL holds every table and column of the specification, with its type and nullability",
    async (version) => {
      const { rows } = await withClient((client) =>
        client.query<{
          table_name: string;
          column_name: string;
          data_type: string;
          len: number | null;
          nullable: string;
        }>(
          `SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable AS nullable
             FROM information_schema.columns WHERE table_schema = $1`,
          [version === "5.3" ? "cdm53" : "cdm54"],
        ),
      );
      const built = new Map<string, { name: string; type: string; notNull: boolean }[]>();
      for (const r of rows)
        built.set(r.table_name, [
          ...(built.get(r.table_name) ?? []),
          { name: r.column_name, type: specType(r.data_type, r.len), notNull: r.nullable === "NO" },
        ]);
      const specified = readCdmSpec(version);
      expect([...built.keys()].sort()).toEqual([...specified.keys()].sort());
      for (const [name, columns] of specified)
        expect(built.get(name)!.sort(byName), name).toEqual(columns.sort(byName));
    },
  );
});

describe("every task kind on CDM 5.3 and 5.4 without the MI-CDM tables", () => {
  test("site inventory: the version from cdm_source, imaging not available, the same figures", async () => {
    const [v53, v54] = [
      result(await runTask("5.3", siteInventoryTask, {})),
      result(await runTask("5.4", siteInventoryTask, {})),
    ];
    expect(v54).toMatchObject({ cdmVersion: "5.4", imagingAvailable: false, imagesByModality: {}, persons: 2500 });
    expect(v53).toEqual({ ...v54, cdmVersion: "5.3" });
  });

  test("cohort count task: the same released counts from both versions", async () => {
    const payload = {
      definition: PROSTATE.cohort,
      purpose: "approved",
      projectId: randomUUID(),
      requesterId: randomUUID(),
    };
    const [v53, v54] = [
      result(await runTask("5.3", cohortCountTask, payload)),
      result(await runTask("5.4", cohortCountTask, payload)),
    ];
    expect(v54.total).toBeGreaterThan(100);
    expect(v53).toEqual(v54);
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

  test("cohort count: nested criteria, any-event criteria and calendar dates read per version, the same counts", async () => {
    const psaBefore = {
      kind: "group",
      operator: "AND",
      items: [
        {
          kind: "criterion",
          criterion: { type: "measurement", concepts: [{ conceptId: C.psa }], value: { min: 4 } },
          window: { startDays: -365, endDays: 0 },
        },
      ],
    };
    const definition = (nested: object | undefined) => ({
      version: 1,
      entry: {
        type: "procedure",
        concepts: [{ conceptId: C.prostateBiopsy }],
        endDate: { from: "2010-01-01" },
        ...(nested ? { nested } : {}),
      },
      observationWindow: { priorDays: 0, postDays: 0 },
      entryLimit: "first",
      inclusionRules: [
        {
          name: "any visit within 90 days after, from 2012",
          group: {
            kind: "group",
            operator: "AND",
            items: [
              {
                kind: "criterion",
                criterion: { type: "visit", startDate: { from: "2012-01-01" } },
                window: { startDays: 0, endDays: 90 },
              },
            ],
          },
        },
      ],
    });
    const [v53, v54] = [await count("5.3", definition(psaBefore)), await count("5.4", definition(psaBefore))];
    const withoutNested = await count("5.4", definition(undefined));
    expect(v54.counts.attrition[1]).toBeGreaterThan(5);
    expect(v54.counts.attrition[0]).toBeLessThan(withoutNested.counts.attrition[0]!);
    expect(v53.counts).toEqual(v54.counts);
  });

  test("train and evaluate tasks: the same update and the same metrics from both versions", async () => {
    const model = {
      modelId: randomUUID(),
      versionId: randomUUID(),
      task: "binary_classification",
      ...PROSTATE.model,
      architecture,
      weightsSha256: global.sha256,
    };
    const scope = { projectId: randomUUID(), requesterId: randomUUID(), jobId: randomUUID() };
    const split = { seed: "cdm", validationFraction: 0.25 };
    const train = {
      ...scope,
      round: 1,
      totalRounds: 3,
      model,
      cohort: PROSTATE.cohort,
      split,
      localEpochs: 2,
      batchSize: 32,
      learningRate: 0.05,
      optimizer: "adam",
      normBound: 0.5,
    };
    const [t53, t54] = [await runTask("5.3", trainTask, train), await runTask("5.4", trainTask, train)];
    if (t54.type !== "upload" || t53.type !== "upload") throw new Error("expected uploads");
    expect(t54.result.exampleCount).toBeGreaterThan(50);
    // Everything but the wall time it took.
    expect({ ...t53.result, trainingMs: 0 }).toEqual({ ...t54.result, trainingMs: 0 });
    expect(t53.update).toEqual(t54.update);
    const evaluate = { ...scope, model, cohort: PROSTATE.cohort, split };
    const [e53, e54] = [await runTask("5.3", evaluateTask, evaluate), await runTask("5.4", evaluateTask, evaluate)];
    expect(result(e54)).toMatchObject({ examples: expect.any(Number), metrics: { auc: expect.any(Number) } });
    expect(result(e53)).toEqual(result(e54));
  });
});
