import { randomBytes, randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { withDatabase } from "@/db/pg-connection";
import { checkResultPolicy } from "@/server/tasks/result-policy";
import { createLogger } from "./log";
import { ZSitePolicy } from "./policy";
import { createSiteDb, type SiteDb } from "./site-db";
import { executeTask, type TaskContext } from "./tasks/base";
import { createTestGate, runThroughGate } from "./test-support/gate-fixture";
import { siteInventoryTask } from "./tasks/site-inventory";
import {
  createOmopFixture,
  FIXTURE_INVENTORY_AT_5,
  FIXTURE_SCHEMA,
  type OmopFixture,
} from "./test-support/omop-fixture";

const adminUrl = inject("pgAdminUrl");
const log = createLogger({}, { write: () => undefined });
const policy = ZSitePolicy.parse({ site: "KCH", minCellCount: 5, roundingBase: 1 });
const role = `flip_ro_${randomBytes(4).toString("hex")}`;
let full: OmopFixture;
let empty: OmopFixture;
let fullDb: SiteDb;
let emptyDb: SiteDb;

/** Connects as a role that may only read the OMOP schema, as a Trust would configure it. */
async function grantReadOnlyRole(fixture: OmopFixture): Promise<string> {
  const admin = new pg.Client({ connectionString: fixture.url });
  await admin.connect();
  const s = pg.escapeIdentifier(FIXTURE_SCHEMA);
  const dbName = new URL(fixture.url).pathname.slice(1);
  await admin.query(`GRANT CONNECT ON DATABASE ${pg.escapeIdentifier(dbName)} TO ${role}`);
  await admin.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
  await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
  await admin.end();
  const url = new URL(fixture.url);
  url.username = role;
  url.password = "read-only-pw";
  return url.toString();
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'read-only-pw'`);
  await admin.end();
  [full, empty] = await Promise.all([createOmopFixture(adminUrl), createOmopFixture(adminUrl, { isEmpty: true })]);
  fullDb = createSiteDb({ url: await grantReadOnlyRole(full), schema: FIXTURE_SCHEMA, maxConnections: 2, log });
  emptyDb = createSiteDb({
    url: withDatabase(adminUrl, new URL(empty.url).pathname.slice(1)),
    schema: FIXTURE_SCHEMA,
    maxConnections: 2,
    log,
  });
});

afterAll(async () => {
  await Promise.all([fullDb?.close(), emptyDb?.close()]);
  await Promise.all([full?.drop(), empty?.drop()]);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

function contextFor(siteDb: SiteDb, progress: number[] = []): TaskContext {
  return {
    taskId: randomUUID(),
    attempt: 1,
    signal: new AbortController().signal,
    log,
    policy,
    siteDb,
    dataDir: "/tmp",
    progress: async (percent) => void progress.push(percent),
    downloadWeights: () => Promise.reject(new Error("these tasks have no model weights")),
    admitPrivacy: () => undefined,
  };
}

describe("site_inventory on the OMOP fixture", () => {
  /** What the worker would send the hub for this inventory, through the release gate. */
  async function inventory(
    siteDb: SiteDb,
    payload: Record<string, unknown> = {},
    progress: number[] = [],
    sitePolicy = policy,
  ) {
    const outcome = await runThroughGate(
      siteInventoryTask,
      payload,
      contextFor(siteDb, progress),
      createTestGate(sitePolicy).gate,
    );
    if (outcome.type !== "complete") throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
    return outcome.result as unknown as typeof FIXTURE_INVENTORY_AT_5;
  }

  test("returns exact counts at the site's threshold and suppresses threshold-1, reporting progress on the way", async () => {
    const progress: number[] = [];
    const result = await inventory(fullDb, {}, progress);
    expect(result).toEqual(FIXTURE_INVENTORY_AT_5);
    expect(progress).toEqual([25, 50, 75]);
    // The hub's own check accepts what the site sends.
    expect(() => checkResultPolicy("site_inventory", {}, result)).not.toThrow();
  });

  test("uses the hub's threshold when it asks for more, and never a lower one", async () => {
    const higher = await inventory(fullDb, { minCellCount: 6 });
    expect(higher.threshold).toBe(6);
    expect(higher.imagesByModality).toEqual({ CT: 10, MR: "suppressed", XR: "suppressed", US: "suppressed" });
    expect(higher.topConditions.slice(0, 3)).toEqual([
      { conceptId: 201826, name: "Type 2 diabetes mellitus", persons: 12 },
      { conceptId: 999, name: "Concept 999", persons: 6 },
      { conceptId: 320128, name: "Essential hypertension", persons: "suppressed" },
    ]);
    const lower = await inventory(fullDb, { minCellCount: 2 });
    expect(lower).toEqual(FIXTURE_INVENTORY_AT_5);
  });

  test("rounds released counts to the site's rounding base, never below the threshold", async () => {
    const rounded = await inventory(fullDb, {}, [], { ...policy, roundingBase: 5 });
    expect(rounded).toMatchObject({ threshold: 5, rounding: 5, persons: 20, observationYears: 40 });
    expect(rounded.imagesByModality).toEqual({ CT: 10, MR: 5, XR: "suppressed", US: "suppressed" });
    expect(rounded.topConditions.slice(0, 3).map((c) => c.persons)).toEqual([10, 5, 5]);
  });

  test("suppresses zero counts too, so an empty site looks like a small one", async () => {
    const result = await inventory(emptyDb);
    expect(result).toEqual({
      cdmVersion: "5.4",
      imagingAvailable: true,
      threshold: 5,
      rounding: 1,
      persons: "suppressed",
      observationYears: "suppressed",
      imagesByModality: { CT: "suppressed", MR: "suppressed", XR: "suppressed", US: "suppressed" },
      topConditions: [],
    });
  });

  test("runs its queries in a read-only transaction", async () => {
    const attempt = fullDb.readOnly((query) => query("CREATE TABLE sneaky (id int)"), { statementTimeoutMs: 5_000 });
    await expect(attempt).rejects.toMatchObject({ code: "25006" });
  });
});

describe("site_inventory on a CDM without the MI-CDM imaging tables", () => {
  test("reports imaging as not available and everything else, instead of failing with SQLSTATE 42P01", async () => {
    const noImaging = await createOmopFixture(adminUrl, { hasImaging: false });
    const siteDb = createSiteDb({ url: noImaging.url, schema: FIXTURE_SCHEMA, maxConnections: 1, log });
    try {
      const outcome = await runThroughGate(siteInventoryTask, {}, contextFor(siteDb), createTestGate(policy).gate);
      expect(outcome).toEqual({
        type: "complete",
        result: { ...FIXTURE_INVENTORY_AT_5, imagingAvailable: false, imagesByModality: {} },
      });
      if (outcome.type === "complete")
        expect(() => checkResultPolicy("site_inventory", {}, outcome.result)).not.toThrow();
    } finally {
      await siteDb.close();
      await noImaging.drop();
    }
  });
});

describe("the task base", () => {
  const leased = (payload: unknown) => ({
    taskId: randomUUID(),
    leaseId: randomUUID(),
    kind: "site_inventory" as const,
    payload,
    attempt: 1,
    maxAttempts: 3,
    leaseExpiresAt: new Date(),
  });
  const deps = (sitePolicy = policy) => ({
    ...contextFor(fullDb),
    policy: sitePolicy,
    gate: createTestGate(sitePolicy).gate,
  });

  test("a payload the contract rejects fails as invalid_payload and is not retried", async () => {
    const outcome = await executeTask(leased({ minCellCount: 0 }), siteInventoryTask, deps());
    expect(outcome).toEqual({
      type: "fail",
      code: "invalid_payload",
      message: "The task does not match this site worker's protocol; the worker's log says which field.",
      isRetryable: false,
    });
  });

  test("a kind the site policy does not allow is refused before the handler runs", async () => {
    const outcome = await executeTask(leased({}), siteInventoryTask, deps({ ...policy, allowedTaskKinds: [] }));
    expect(outcome).toEqual({
      type: "fail",
      code: "refused_by_site_policy",
      message: "This site does not run 'site_inventory' tasks (allowedTaskKinds in its site policy).",
      isRetryable: false,
    });
  });

  test("a site database that is down is a retryable failure whose message names no connection details", async () => {
    const downDb = createSiteDb({
      url: "postgres://nobody:secret@127.0.0.1:1/omop",
      schema: "public",
      maxConnections: 1,
      log,
    });
    const outcome = await executeTask(leased({}), siteInventoryTask, { ...deps(), siteDb: downDb });
    await downDb.close();
    expect(outcome).toEqual({
      type: "fail",
      code: "handler_error",
      message: "The site's OMOP database could not be reached.",
      isRetryable: true,
    });
    expect(JSON.stringify(outcome)).not.toContain("secret");
  });
});
