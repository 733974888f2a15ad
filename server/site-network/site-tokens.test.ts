import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { siteTokens } from "@/db/schema";
import { makeSite } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { settleChanges } from "@/server/database/change-feed";
import { issueSiteToken, resolveSiteByToken, revokeSiteTokens } from "./site-tokens.service";

const testDb = useTestDatabase();
const SYSTEM = { type: "system", label: "test" } as const;

async function tokenRow(siteId: string) {
  const [row] = await testDb.db().select().from(siteTokens).where(eq(siteTokens.siteId, siteId));
  return row!;
}

describe("resolving a site token", () => {
  it("finds the token's site and stamps its last use at most once a minute", async () => {
    const db = testDb.db();
    const site = await makeSite(db);
    const { token } = await issueSiteToken(db, SYSTEM, { siteId: site.id, graceSeconds: 0 });
    expect((await tokenRow(site.id)).lastUsedAt).toBeNull();

    expect(await resolveSiteByToken(db, token)).toEqual({ id: site.id, code: site.code });
    const firstUse = (await tokenRow(site.id)).lastUsedAt!;
    expect(firstUse).toBeInstanceOf(Date);

    // Used again within the minute: the stamp stays.
    expect(await resolveSiteByToken(db, token)).toEqual({ id: site.id, code: site.code });
    expect((await tokenRow(site.id)).lastUsedAt).toEqual(firstUse);

    // Last used two minutes ago: this use is stamped.
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await db.update(siteTokens).set({ lastUsedAt: twoMinutesAgo }).where(eq(siteTokens.siteId, site.id));
    // As a worker's next call would: after this process has heard of the change (it keeps the token).
    await settleChanges(db);
    await resolveSiteByToken(db, token);
    expect((await tokenRow(site.id)).lastUsedAt!.getTime()).toBeGreaterThan(twoMinutesAgo.getTime() + 60_000);
  });

  it("refuses a revoked, expired, rotated-out or unknown token, and stamps nothing", async () => {
    const db = testDb.db();
    const revokedSite = await makeSite(db);
    const revoked = await issueSiteToken(db, SYSTEM, { siteId: revokedSite.id, graceSeconds: 0 });
    await revokeSiteTokens(db, SYSTEM, { siteId: revokedSite.id });
    expect(await resolveSiteByToken(db, revoked.token)).toBeNull();
    expect((await tokenRow(revokedSite.id)).lastUsedAt).toBeNull();

    const expiredSite = await makeSite(db);
    const expired = await issueSiteToken(db, SYSTEM, { siteId: expiredSite.id, graceSeconds: 0 });
    await db
      .update(siteTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(siteTokens.siteId, expiredSite.id));
    expect(await resolveSiteByToken(db, expired.token)).toBeNull();
    expect((await tokenRow(expiredSite.id)).lastUsedAt).toBeNull();

    const rotatedSite = await makeSite(db);
    const old = await issueSiteToken(db, SYSTEM, { siteId: rotatedSite.id, graceSeconds: 0 });
    const current = await issueSiteToken(db, SYSTEM, { siteId: rotatedSite.id, graceSeconds: 0 });
    expect(await resolveSiteByToken(db, old.token)).toBeNull();
    expect(await resolveSiteByToken(db, current.token)).toEqual({ id: rotatedSite.id, code: rotatedSite.code });

    expect(await resolveSiteByToken(db, `${current.token.slice(0, -2)}xx`)).toBeNull();
    expect(await resolveSiteByToken(db, "not-a-site-token")).toBeNull();
  });
});
