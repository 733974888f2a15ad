import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { dropDatabase } from "@/server/database/embedded-server";
import { generateSiteData } from "./generate";
import { provisionSiteDatabase, type ProvisionedSiteDatabase } from "./provision";
import { withPgClient } from "@/db/pg-connection";

const adminUrl = inject("pgAdminUrl");
const suffix = randomBytes(3).toString("hex");
const codeA = `TA${suffix}`;
const codeB = `TB${suffix}`;
const dataDir = mkdtempSync(path.join(tmpdir(), "flip-provision-"));
let siteA: ProvisionedSiteDatabase;
let siteB: ProvisionedSiteDatabase;

beforeAll(async () => {
  siteA = await provisionSiteDatabase({
    adminUrl,
    siteCode: codeA,
    ownerPassword: "owner-a-secret",
    readerPassword: "reader-a-secret",
  });
  siteB = await provisionSiteDatabase({
    adminUrl,
    siteCode: codeB,
    ownerPassword: "owner-b-secret",
    readerPassword: "reader-b-secret",
  });
  // Generation runs as the site's owner role, not as the server admin.
  await generateSiteData({
    site: codeA,
    persons: 40,
    seed: 1,
    databaseUrl: siteA.ownerUrl,
    dataDir: path.join(dataDir, "a"),
  });
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const site of [siteA, siteB]) {
      if (!site) continue;
      await dropDatabase(adminUrl, site.database);
      for (const role of [site.readerRole, site.ownerRole])
        await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    }
  } finally {
    await admin.end();
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("provisionSiteDatabase", () => {
  it("names the database and roles after the site", () => {
    const lower = codeA.toLowerCase();
    expect(siteA).toMatchObject({
      database: `flip_site_${lower}`,
      ownerRole: `flip_site_${lower}_owner`,
      readerRole: `flip_site_${lower}_reader`,
      schema: "public",
    });
    expect(new URL(siteA.readerUrl).username).toBe(siteA.readerRole);
    expect(new URL(siteA.readerUrl).pathname).toBe(`/${siteA.database}`);
  });

  it("lets the reader SELECT but not write or create", async () => {
    await withPgClient(siteA.readerUrl, async (client) => {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM person");
      expect(Number(rows[0]?.n)).toBe(40);
      await expect(client.query("INSERT INTO concept_ancestor VALUES (1, 1, 0, 0)")).rejects.toMatchObject({
        code: "42501",
      });
      await expect(client.query("DELETE FROM person")).rejects.toMatchObject({ code: "42501" });
      await expect(client.query("CREATE TABLE leak (x int)")).rejects.toMatchObject({ code: "42501" });
      await expect(client.query("CREATE TEMP TABLE leak (x int)")).rejects.toMatchObject({ code: "42501" });
    });
  });

  it("keeps each site's reader out of other sites' databases", async () => {
    const crossUrl = new URL(siteA.readerUrl);
    crossUrl.pathname = `/${siteB.database}`;
    await expect(withPgClient(crossUrl.toString(), async () => undefined)).rejects.toMatchObject({ code: "42501" });
    const crossOwner = new URL(siteB.ownerUrl);
    crossOwner.pathname = `/${siteA.database}`;
    await expect(withPgClient(crossOwner.toString(), async () => undefined)).rejects.toMatchObject({ code: "42501" });
  });

  it("is idempotent and keeps the reader's access to tables regenerated later", async () => {
    const again = await provisionSiteDatabase({
      adminUrl,
      siteCode: codeA,
      ownerPassword: "owner-a-secret",
      readerPassword: "reader-a-secret",
    });
    expect(again).toEqual(siteA);
    // --replace recreates the tables as the owner; default privileges must carry the reader's SELECT over.
    await generateSiteData({
      site: codeA,
      persons: 25,
      seed: 2,
      replace: true,
      databaseUrl: siteA.ownerUrl,
      dataDir: path.join(dataDir, "a"),
    });
    const count = await withPgClient(
      siteA.readerUrl,
      async (client) => (await client.query<{ n: string }>("SELECT count(*) AS n FROM person")).rows[0]?.n,
    );
    expect(Number(count)).toBe(25);
  });

  it("rejects a site code that could not be a safe identifier", async () => {
    await expect(
      provisionSiteDatabase({ adminUrl, siteCode: "kch; drop", ownerPassword: "x", readerPassword: "y" }),
    ).rejects.toThrow(/invalid site code/);
  });
});
