import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { sites } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import {
  auditFor,
  callerAs,
  makeSite,
  makeUser,
  refusedWithoutChange,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();

let admin: Viewer;
const asAdmin = () => callerAs(testDb.db(), admin);
const MISSING_ID = "00000000-0000-4000-8000-000000000000";

beforeAll(async () => {
  const db = testDb.db();
  admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
});

describe("sites.create", () => {
  it("stores the code uppercased and the fields trimmed, and audits the creation", async () => {
    const site = await asAdmin().sites.create({
      code: "  rfh2 ",
      name: "  Royal Free London  ",
      region: " North London ",
    });
    expect(site).toMatchObject({ code: "RFH2", name: "Royal Free London", region: "North London" });
    const [stored] = await testDb.db().select().from(sites).where(eq(sites.id, site.id));
    expect(stored).toMatchObject({ code: "RFH2", name: "Royal Free London", region: "North London" });
    const [event] = await auditFor(testDb.db(), "site:RFH2");
    expect(event).toMatchObject({
      action: "site.created",
      actorLabel: admin.email,
      details: { name: "Royal Free London", region: "North London" },
    });
  });

  it("refuses a code already taken, whatever its case", async () => {
    await asAdmin().sites.create({ code: "BART", name: "Barts Health", region: "London" });
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().sites.create({ code: "bart", name: "Another Barts", region: "London" }),
      {
        code: "CONFLICT",
        message: "A site with this code already exists",
      },
    );
    expect(fieldErrors).toEqual({ code: ["A site with this code already exists"] });
  });

  const CODE_RULE = "Use 2 to 12 letters or digits, starting with a letter (e.g. KCH)";
  const valid = { code: "OK1", name: "Valid Trust", region: "London" };
  it.each([
    ["a one-letter code", { ...valid, code: "K" }, { code: [CODE_RULE] }],
    ["a code starting with a digit", { ...valid, code: "1KCH" }, { code: [CODE_RULE] }],
    ["a code with punctuation", { ...valid, code: "K-CH" }, { code: [CODE_RULE] }],
    ["a 13-character code", { ...valid, code: "ABCDEFGHIJKLM" }, { code: [CODE_RULE] }],
    ["a non-string code", { ...valid, code: 42 }, { code: ["Enter a site code"] }],
    ["a one-letter name", { ...valid, name: " X " }, { name: ["Enter the Trust's name"] }],
    ["a too-long name", { ...valid, name: "N".repeat(201) }, { name: ["Names are at most 200 characters"] }],
    ["a missing name", { code: "OK1", region: "London" }, { name: ["Enter the Trust's name"] }],
    ["an empty region", { ...valid, region: "" }, { region: ["Enter a region"] }],
    ["a too-long region", { ...valid, region: "R".repeat(101) }, { region: ["Regions are at most 100 characters"] }],
  ])("refuses %s with the field's message", async (_label, input, expected) => {
    const fieldErrors = await refusedWithoutChange(testDb.db(), () => asAdmin().sites.create(input as never), {
      code: "BAD_REQUEST",
    });
    expect(fieldErrors).toEqual(expected);
  });

  it("accepts a 12-character code", async () => {
    await expect(asAdmin().sites.create({ ...valid, code: "ABCDEFGHIJKL" })).resolves.toMatchObject({
      code: "ABCDEFGHIJKL",
    });
  });
});

describe("sites.update", () => {
  it("changes name and region, keeps the code, and audits before and after", async () => {
    const site = await makeSite(testDb.db());
    const updated = await asAdmin().sites.update({ siteId: site.id, name: " Renamed Trust ", region: "South East" });
    expect(updated).toMatchObject({ id: site.id, code: site.code, name: "Renamed Trust", region: "South East" });
    const [event] = await auditFor(testDb.db(), `site:${site.code}`);
    expect(event).toMatchObject({
      action: "site.updated",
      actorLabel: admin.email,
      details: {
        before: { name: site.name, region: site.region },
        after: { name: "Renamed Trust", region: "South East" },
      },
    });
  });

  it("refuses invalid fields without changing the site", async () => {
    const site = await makeSite(testDb.db());
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().sites.update({ siteId: site.id, name: "", region: "" }),
      { code: "BAD_REQUEST" },
    );
    expect(fieldErrors).toEqual({ name: ["Enter the Trust's name"], region: ["Enter a region"] });
  });

  it("reports an unknown site as not found", async () => {
    await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().sites.update({ siteId: MISSING_ID, name: "Nowhere", region: "Nowhere" }),
      {
        code: "NOT_FOUND",
        message: "No site with that id.",
      },
    );
  });

  it("refuses an id that is not a uuid", async () => {
    const fieldErrors = await refusedWithoutChange(
      testDb.db(),
      () => asAdmin().sites.update({ siteId: "KCH", name: "Nowhere", region: "Nowhere" }),
      {
        code: "BAD_REQUEST",
      },
    );
    expect(fieldErrors).toEqual({ siteId: ["Choose a site"] });
  });
});

describe("sites.byId", () => {
  it("returns the site, or NOT_FOUND for an unknown id", async () => {
    const site = await makeSite(testDb.db());
    await expect(asAdmin().sites.byId({ siteId: site.id })).resolves.toMatchObject({ id: site.id, code: site.code });
    await expect(asAdmin().sites.byId({ siteId: MISSING_ID })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "No site with that id.",
    });
  });
});

describe("sites.directory", () => {
  it("shows every signed-in role only id, code, name and region, ordered by code", async () => {
    const db = testDb.db();
    await makeSite(db, "ZZDIR");
    await makeSite(db, "AADIR");
    const researcher = await viewerOf(db, (await makeUser(db, [{ role: "researcher" }])).id);
    const directory = await callerAs(db, researcher).sites.directory();

    for (const entry of directory) expect(Object.keys(entry).sort()).toEqual(["code", "id", "name", "region"]);
    const codes = directory.map((s) => s.code);
    expect(codes).toEqual([...codes].sort());
    expect(codes).toContain("AADIR");
    expect(directory.find((s) => s.code === "ZZDIR")).toEqual({
      id: expect.any(String),
      code: "ZZDIR",
      name: "ZZDIR Trust",
      region: "Test",
    });
    expect(directory).toHaveLength((await db.select().from(sites)).length);
  });
});
