import { asc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/server/audit/audit.service";
import { changeOwnPassword } from "@/server/account/account.service";
import { signInWithPassword } from "@/server/auth/sign-in.service";
import { verifyPassword } from "@/server/auth/password";
import {
  callerAs,
  getUserByEmail,
  signedInSession,
  snapshotTables,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { roleGrants, sites, users } from "@/db/schema";
import { newTotpSecret, totpCodeAt } from "@/server/auth/totp";
import { isSeeded, seedDemo } from "./demo-seed";

const testDb = useTestDatabase();
const DEMO_PASSWORD = "demo-password-1";
const DEMO_TOTP_SECRET = newTotpSecret();

// The tests run in order on one database: first seed, then re-seed.
describe("seedDemo", () => {
  it("creates the three demo sites and six demo accounts with their grants", async () => {
    const db = testDb.db();
    expect(await isSeeded(db)).toBe(false);

    const { created } = await seedDemo(db, DEMO_PASSWORD, { totpSecret: DEMO_TOTP_SECRET });

    expect(created).toEqual([
      "site KCH",
      "site GSTT",
      "site UCLH",
      "user admin@demo.flip",
      "user admin2@demo.flip",
      "user researcher@demo.flip",
      "user approver.kch@demo.flip",
      "user approver.gstt@demo.flip",
      "user approver.uclh@demo.flip",
      "authenticator admin@demo.flip",
      "authenticator admin2@demo.flip",
      "authenticator approver.kch@demo.flip",
      "authenticator approver.gstt@demo.flip",
      "authenticator approver.uclh@demo.flip",
    ]);
    expect(
      await db
        .select({ code: sites.code, name: sites.name, region: sites.region })
        .from(sites)
        .orderBy(asc(sites.code)),
    ).toEqual([
      { code: "GSTT", name: "Guy's and St Thomas'", region: "London" },
      { code: "KCH", name: "King's College Hospital", region: "London" },
      { code: "UCLH", name: "University College London Hospitals", region: "London" },
    ]);
    const grants = await db
      .select({
        email: users.email,
        role: roleGrants.role,
        site: sites.code,
        mustChangePassword: users.mustChangePassword,
      })
      .from(users)
      .leftJoin(roleGrants, eq(roleGrants.userId, users.id))
      .leftJoin(sites, eq(sites.id, roleGrants.siteId))
      .orderBy(asc(users.email));
    expect(grants).toEqual([
      { email: "admin2@demo.flip", role: "admin", site: null, mustChangePassword: false },
      { email: "admin@demo.flip", role: "admin", site: null, mustChangePassword: false },
      { email: "approver.gstt@demo.flip", role: "approver", site: "GSTT", mustChangePassword: false },
      { email: "approver.kch@demo.flip", role: "approver", site: "KCH", mustChangePassword: false },
      { email: "approver.uclh@demo.flip", role: "approver", site: "UCLH", mustChangePassword: false },
      { email: "researcher@demo.flip", role: "researcher", site: null, mustChangePassword: false },
    ]);
    expect(await isSeeded(db)).toBe(true);
  });

  it("lets every demo account sign in with the demo password", async () => {
    const db = testDb.db();
    for (const email of ["admin@demo.flip", "researcher@demo.flip", "approver.kch@demo.flip"]) {
      await expect(signInWithPassword(db, { email, password: DEMO_PASSWORD }, "192.0.2.1")).resolves.toMatchObject({
        email,
      });
    }
  });

  it("gives the admins and approvers the printed authenticator, whose code proves their second factor", async () => {
    const db = testDb.db();
    const approver = await getUserByEmail(db, "approver.kch@demo.flip");
    const browser = await signedInSession(db, approver!.id);
    expect((await browser.viewer())?.secondFactor).toBe("verify");
    await callerAs(db, await browser.viewer()).factors.verify({ method: "totp", code: totpCodeAt(DEMO_TOTP_SECRET) });
    expect((await browser.viewer())?.secondFactor).toBeNull();
    const researcher = await getUserByEmail(db, "researcher@demo.flip");
    expect((await (await signedInSession(db, researcher!.id)).viewer())?.secondFactor).toBeNull();
  });

  it("creates nothing on a second run and keeps a password changed since", async () => {
    const db = testDb.db();
    const researcher = await getUserByEmail(db, "researcher@demo.flip");
    await changeOwnPassword(db, await viewerOf(db, researcher!.id), {
      currentPassword: DEMO_PASSWORD,
      newPassword: "my-own-password-now",
      confirmPassword: "my-own-password-now",
      ip: "192.0.2.1",
    });
    const before = await snapshotTables(db);

    expect(await seedDemo(db, DEMO_PASSWORD, { totpSecret: DEMO_TOTP_SECRET })).toEqual({ created: [] });

    expect(await snapshotTables(db)).toEqual(before);
    const after = await getUserByEmail(db, "researcher@demo.flip");
    expect(await verifyPassword(after!.passwordHash, "my-own-password-now")).toBe(true);
  });

  it("leaves an audit chain that verifies", async () => {
    const db = testDb.db();
    const { rows } = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM audit_events`);
    // 3 sites, 6 accounts each created and granted, 3 sign-ins, 1 password change.
    expect(rows[0]!.n).toBe(3 + 6 * 2 + 3 + 1);
    expect(await verifyAuditChain(db)).toEqual({ ok: true, checked: rows[0]!.n });
  });
});
