import { randomBytes } from "node:crypto";
import { RECOMMENDED_INDEXES } from "./cdm/site-schema";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { withDatabase, withPgClient } from "@/db/pg-connection";
import { OMOP_TABLES } from "@/protocol/omop/tables";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { makeSiteWithToken } from "./test-support/hub-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "./test-support/worker-process";
import { createSoftwareAuthenticator, TEST_PORTAL_ORIGIN } from "./test-support/software-authenticator";
import { parsePublicKey } from "@/protocol/webauthn/public-key";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";

/** `flip-worker check` as Trust IT runs it: a real process against a real hub and a real OMOP database. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
const suffix = randomBytes(4).toString("hex");
const dbName = `flip_check_${suffix}`;
const readOnlyRole = `flip_ck_ro_${suffix}`;
const writerRole = `flip_ck_rw_${suffix}`;
const SCHEMA = "omop cdm";
const PARTIAL_SCHEMA = "omop partial";
const NO_VOCABULARY_SCHEMA = "omop no vocabulary";
let hub: { url: string; close: () => Promise<void> };
let omopUrl: string;
const workers: WorkerProcess[] = [];

const urlAs = (role: string) => {
  const url = new URL(omopUrl);
  url.username = role;
  url.password = "pw";
  return url.toString();
};

beforeAll(async () => {
  await withPgClient(adminUrl, async (admin) => {
    await admin.query(`CREATE DATABASE ${dbName}`);
    for (const role of [readOnlyRole, writerRole]) await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
  });
  omopUrl = withDatabase(adminUrl, dbName);
  await withPgClient(omopUrl, async (client) => {
    for (const [schema, tables] of [
      [SCHEMA, OMOP_TABLES],
      [PARTIAL_SCHEMA, OMOP_TABLES.filter((t) => t !== "image_occurrence" && t !== "measurement")],
      [NO_VOCABULARY_SCHEMA, OMOP_TABLES],
    ] as const) {
      const s = pg.escapeIdentifier(schema);
      await client.query(`CREATE SCHEMA ${s}`);
      for (const table of tables) await client.query(`CREATE TABLE ${s}.${table} (id int)`);
      for (const role of [readOnlyRole, writerRole]) {
        await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${role}`);
        await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${role}`);
      }
    }
    await client.query(`GRANT INSERT ON ${pg.escapeIdentifier(SCHEMA)}.person TO ${writerRole}`);
    for (const table of ["concept", "concept_ancestor"])
      await client.query(`INSERT INTO ${pg.escapeIdentifier(SCHEMA)}.${table} VALUES (1)`);
  });
  hub = await startHubServer(testDb.db());
});

afterAll(async () => {
  await Promise.all(workers.splice(0).map(killWorker));
  await hub?.close();
  await withPgClient(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    for (const role of [readOnlyRole, writerRole]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
  });
});

async function closedPortUrl(): Promise<string> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function check(options: {
  token: string;
  site?: string;
  role?: string;
  schema?: string;
  hubUrl?: string;
  policy?: Record<string, unknown>;
}) {
  const worker = spawnWorker({
    args: ["check"],
    hubUrl: options.hubUrl ?? hub.url,
    token: options.token,
    siteDatabaseUrl: urlAs(options.role ?? readOnlyRole),
    policy: { site: options.site ?? "KCH", ...options.policy },
    env: { FLIP_SITE_DB_SCHEMA: options.schema ?? SCHEMA },
  });
  workers.push(worker);
  const { code } = await worker.exited;
  return { code, output: worker.output(), lines: worker.output().split("\n") };
}

describe("flip-worker check", () => {
  test("passes a good configuration: every item ticked, exit 0, no secret printed", { timeout: 60_000 }, async () => {
    const { token } = await makeSiteWithToken(testDb.db(), "KCH");
    const passkey = createSoftwareAuthenticator();
    const fingerprint = formatFingerprint(parsePublicKey(passkey.spkiPem).fingerprint);
    const { code, output, lines } = await check({
      token,
      policy: {
        approvers: [{ name: "Dr Ada Approver", publicKey: passkey.spkiPem, fingerprint }],
        portalOrigins: [TEST_PORTAL_ORIGIN],
      },
    });
    expect(output).toContain("✓ Configuration");
    expect(output).toContain("✓ Site policy file");
    // The fingerprints Trust IT enrolled, to compare with what each approver's portal page shows.
    expect(lines).toContain(`✓ Approvers' keys: Dr Ada Approver (ES256) ${fingerprint}`);
    expect(lines).toContain(`✓ OMOP role is read-only: role ${readOnlyRole} cannot write to schema ${SCHEMA}`);
    expect(lines).toContain(`✓ OMOP tables present: ${OMOP_TABLES.length} tables in schema ${SCHEMA}, readable`);
    // Advice with the DBA's DDL, not a failure.
    expect(lines).toContain(
      `- Recommended indexes: ${RECOMMENDED_INDEXES.length} missing: cohort counts run, but slowly on a large database`,
    );
    expect(lines).toContain(
      `      CREATE INDEX CONCURRENTLY idx_flip_measurement_person_id ON "${SCHEMA}"."measurement" (person_id);`,
    );
    expect(lines).toContain("✓ OMOP vocabulary loaded: concept and concept_ancestor have rows");
    expect(output).toContain("✓ Image folder readable");
    expect(output).toContain("✓ Site ledger openable");
    expect(lines).toContain(`✓ Hub reachable: ${hub.url}`);
    expect(lines).toContain("✓ Site token accepted: site KCH");
    expect(output).toContain("✓ Protocol version matches");
    expect(output).not.toContain("✗");
    expect(lines).toContain("All checks passed.");
    expect(code).toBe(0);
    expect(output).not.toContain(token);
    expect(output).not.toContain("pw@");
  });

  test("refuses a role that can write to the OMOP schema, and a superuser", { timeout: 60_000 }, async () => {
    const { token } = await makeSiteWithToken(testDb.db(), "KCW");
    const writable = await check({ token, site: "KCW", role: writerRole });
    expect(writable.code).toBe(1);
    expect(writable.lines).toContain(
      `✗ OMOP role is read-only: role ${writerRole} can write: it may change 1 table (person)`,
    );
    const fix = writable.lines[writable.lines.findIndex((l) => l.startsWith("✗ OMOP role")) + 1];
    expect(fix).toContain(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA "${SCHEMA}"`);
    expect(writable.output).toContain("1 check failed; see the fixes above.");

    const superuser = spawnWorker({
      args: ["check"],
      hubUrl: hub.url,
      token,
      siteDatabaseUrl: omopUrl,
      policy: { site: "KCW" },
      env: { FLIP_SITE_DB_SCHEMA: SCHEMA },
    });
    workers.push(superuser);
    expect((await superuser.exited).code).toBe(1);
    expect(superuser.output()).toMatch(/✗ OMOP role is read-only: role \S+ is a superuser/);
  });

  test("names a missing OMOP table; the MI-CDM imaging tables are optional", { timeout: 60_000 }, async () => {
    const { token } = await makeSiteWithToken(testDb.db(), "KCM");
    const { code, lines } = await check({ token, site: "KCM", schema: PARTIAL_SCHEMA });
    expect(code).toBe(1);
    expect(lines).toContain(`✗ OMOP tables present: missing in schema ${PARTIAL_SCHEMA}: measurement`);
    expect(lines).toContain(`      CREATE TABLE "${PARTIAL_SCHEMA}"."measurement" (`);
    expect(lines).toContain("        measurement_concept_id integer NOT NULL,");
    expect(lines).toContain(`✓ OMOP role is read-only: role ${readOnlyRole} cannot write to schema ${PARTIAL_SCHEMA}`);
  });

  test("names an OMOP schema without the vocabulary", { timeout: 60_000 }, async () => {
    const { token } = await makeSiteWithToken(testDb.db(), "KCV");
    const { code, lines } = await check({ token, site: "KCV", schema: NO_VOCABULARY_SCHEMA });
    expect(code).toBe(1);
    expect(lines).toContain(
      `✗ OMOP vocabulary loaded: empty in schema ${NO_VOCABULARY_SCHEMA}: concept, concept_ancestor`,
    );
  });

  test("reports a wrong token with its fix, and an unreachable hub", { timeout: 60_000 }, async () => {
    const wrong = await check({ token: `flip_st_${"x".repeat(40)}` });
    expect(wrong.code).toBe(1);
    expect(wrong.lines).toContain(`✓ Hub reachable: ${hub.url}`);
    expect(wrong.lines).toContain(
      "✗ Site token accepted: the hub refused FLIP_SITE_TOKEN (revoked, rotated out or mistyped)",
    );
    expect(wrong.lines).toContain("    Fix: Ask a platform admin for a new site token and set FLIP_SITE_TOKEN.");

    const closed = await closedPortUrl();
    const down = await check({ token: `flip_st_${"x".repeat(40)}`, hubUrl: closed });
    expect(down.code).toBe(1);
    expect(down.lines).toContain(`✗ Hub reachable: ${closed}: ECONNREFUSED`);
    expect(down.lines).toContain("- Site token accepted: not checked");
  });

  test("refuses a token of another site than the policy file names", { timeout: 60_000 }, async () => {
    const { token } = await makeSiteWithToken(testDb.db(), "KCO");
    const { code, lines } = await check({ token, site: "KCH" });
    expect(code).toBe(1);
    expect(lines).toContain("✗ Site token accepted: the token belongs to site KCO but the policy file is for site KCH");
  });

  test("reports a configuration error without checking further", { timeout: 30_000 }, async () => {
    const { code, lines } = await check({ token: "not-a-token" });
    expect(code).toBe(1);
    expect(lines[1]).toMatch(/^✗ Configuration: FLIP_SITE_TOKEN: does not look like a site token/);
    expect(lines).toContain("- Hub: not checked until the configuration is fixed");
  });
});
