import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { roleGrants, ssoIdentities, users } from "@/db/schema";
import { auditFor, FIXTURE_PASSWORD, getUserByEmail, makeUser } from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { signInWithPassword } from "./sign-in.service";
import { ssoIdentityOf } from "./sso-provider";
import { signInWithSso, type SsoIdentity } from "./sso-sign-in.service";
import type { SsoSettings } from "./sso-settings";

const testDb = useTestDatabase();

const ISSUER = "https://idp.example.nhs.uk";
const SETTINGS: SsoSettings = {
  issuer: ISSUER,
  clientId: "flip",
  clientSecret: "secret",
  allowedDomains: ["nhs.net", "test.flip"],
  displayName: "NHSmail",
  selfRegistration: false,
};

let n = 0;
const identity = (extra: Partial<SsoIdentity> = {}): SsoIdentity => ({
  issuer: ISSUER,
  subject: `subject-${++n}`,
  emailVerified: true,
  ...extra,
});

async function linksOf(userId: string) {
  const db = testDb.db();
  return db.select().from(ssoIdentities).where(eq(ssoIdentities.userId, userId));
}

async function tableCounts() {
  const db = testDb.db();
  return { users: await db.$count(users), links: await db.$count(ssoIdentities) };
}

describe("signInWithSso", () => {
  it("links an admin-created account by verified e-mail, then finds it by subject after the e-mail changes", async () => {
    const user = await makeUser(testDb.db(), [{ role: "researcher" }]);
    const who = identity({ email: user.email.toUpperCase() });
    await expect(signInWithSso(testDb.db(), SETTINGS, who)).resolves.toEqual({
      ok: true,
      user: { id: user.id, email: user.email, name: user.name },
    });
    expect(await linksOf(user.id)).toMatchObject([{ issuer: ISSUER, subject: who.subject, linkedEmail: user.email }]);

    const renamed = { ...who, email: "someone.else@elsewhere.example", emailVerified: false };
    await expect(signInWithSso(testDb.db(), SETTINGS, renamed)).resolves.toMatchObject({
      ok: true,
      user: { id: user.id },
    });
    const actions = (await auditFor(testDb.db(), `user:${user.email}`)).map((e) => e.action);
    expect(actions).toEqual(["auth.sso_linked", "auth.sso_signed_in", "auth.sso_signed_in"]);
  });

  it.each([
    ["no e-mail", { email: undefined }, "sso_no_email"],
    ["an unverified e-mail", { email: "alice@test.flip", emailVerified: false }, "sso_unverified_email"],
    ["a domain not allowed", { email: "alice@gmail.example" }, "sso_domain_not_allowed"],
    ["a look-alike domain", { email: "alice@evil-nhs.net" }, "sso_domain_not_allowed"],
    ["an e-mail with no account", { email: "nobody.here@nhs.net" }, "sso_no_account"],
  ] as const)("refuses %s, audits it and creates nothing", async (_case, extra, reason) => {
    const before = await tableCounts();
    const who = identity(extra);
    const outcome = await signInWithSso(testDb.db(), SETTINGS, who);
    expect(outcome).toMatchObject({ ok: false, reason });
    expect(await tableCounts()).toEqual(before);
    const subject = who.email ? `user:${who.email}` : `sso:${ISSUER}#${who.subject}`;
    expect(await auditFor(testDb.db(), subject)).toMatchObject([
      { action: "auth.sso_refused", details: { reason, subject: who.subject } },
    ]);
  });

  it("refuses an unverified e-mail even when an account uses it", async () => {
    const user = await makeUser(testDb.db(), []);
    const outcome = await signInWithSso(testDb.db(), SETTINGS, identity({ email: user.email, emailVerified: false }));
    expect(outcome).toEqual({ ok: false, reason: "sso_unverified_email", email: user.email });
    expect(await linksOf(user.id)).toEqual([]);
  });

  it("refuses a token from another issuer than the configured one, and refuses when SSO is not configured", async () => {
    const user = await makeUser(testDb.db(), []);
    const foreign = identity({ issuer: "https://other-idp.example", email: user.email });
    await expect(signInWithSso(testDb.db(), SETTINGS, foreign)).resolves.toMatchObject({
      reason: "sso_not_configured",
    });
    // The same issuer with a trailing "/" (as Auth0 writes it) is not another issuer.
    await expect(
      signInWithSso(testDb.db(), SETTINGS, identity({ issuer: `${ISSUER}/`, email: "nobody.at.all@nhs.net" })),
    ).resolves.toMatchObject({ reason: "sso_no_account" });
    await expect(signInWithSso(testDb.db(), null, identity({ email: user.email }))).resolves.toMatchObject({
      reason: "sso_not_configured",
    });
    expect(await linksOf(user.id)).toEqual([]);
  });

  it("refuses a disabled account, before and after it was linked", async () => {
    const db = testDb.db();
    const unlinked = await makeUser(db, [], { disabled: true });
    await expect(signInWithSso(db, SETTINGS, identity({ email: unlinked.email }))).resolves.toMatchObject({
      ok: false,
      reason: "sso_disabled",
    });
    expect(await linksOf(unlinked.id)).toEqual([]);

    const linked = await makeUser(db, []);
    const who = identity({ email: linked.email });
    await expect(signInWithSso(db, SETTINGS, who)).resolves.toMatchObject({ ok: true });
    await db.update(users).set({ disabled: true }).where(eq(users.id, linked.id));
    await expect(signInWithSso(db, SETTINGS, who)).resolves.toMatchObject({ ok: false, reason: "sso_disabled" });
    expect((await auditFor(db, `user:${linked.email}`)).at(-1)).toMatchObject({
      action: "auth.sso_refused",
      actorId: linked.id,
      details: { reason: "sso_disabled" },
    });
  });

  it("refuses a second identity from the same provider for an account already linked", async () => {
    const user = await makeUser(testDb.db(), []);
    await expect(signInWithSso(testDb.db(), SETTINGS, identity({ email: user.email }))).resolves.toMatchObject({
      ok: true,
    });
    const impostor = identity({ email: user.email });
    await expect(signInWithSso(testDb.db(), SETTINGS, impostor)).resolves.toEqual({
      ok: false,
      reason: "sso_linked_elsewhere",
      email: user.email,
    });
    expect(await linksOf(user.id)).toHaveLength(1);
  });

  it("lets a person locked out by wrong passwords sign in with SSO", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "researcher" }]);
    for (let i = 0; i < 5; i++)
      await expect(signInWithPassword(db, { email: user.email, password: "wrong" }, "203.0.113.50")).rejects.toThrow();
    await expect(
      signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, "203.0.113.50"),
    ).rejects.toMatchObject({ code: "TOO_MANY_REQUESTS" });
    await expect(signInWithSso(db, SETTINGS, identity({ email: user.email }))).resolves.toMatchObject({
      ok: true,
      user: { id: user.id },
    });
  });

  it("retires an admin's temporary password when the account is linked", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [], { mustChangePassword: true });
    await expect(signInWithSso(db, SETTINGS, identity({ email: user.email }))).resolves.toMatchObject({ ok: true });
    const after = await getUserByEmail(db, user.email);
    expect(after?.mustChangePassword).toBe(false);
    await expect(
      signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, "203.0.113.51"),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect((await auditFor(db, `user:${user.email}`))[0]).toMatchObject({
      action: "auth.sso_linked",
      details: { temporaryPasswordRetired: true },
    });
  });

  it("with self-registration, gives an unknown verified e-mail a new account without roles", async () => {
    const db = testDb.db();
    const settings = { ...SETTINGS, selfRegistration: true };
    const who = identity({ email: "New.Starter@NHS.net", name: "New Starter" });
    const outcome = await signInWithSso(db, settings, who);
    expect(outcome).toMatchObject({ ok: true, user: { email: "new.starter@nhs.net", name: "New Starter" } });
    const created = await getUserByEmail(db, "new.starter@nhs.net");
    expect(created).toMatchObject({ disabled: false, mustChangePassword: false });
    expect(await db.select().from(roleGrants).where(eq(roleGrants.userId, created!.id))).toEqual([]);
    expect(await linksOf(created!.id)).toMatchObject([{ subject: who.subject }]);
    // Self-registration never bypasses the domain list or the verified e-mail.
    await expect(signInWithSso(db, settings, identity({ email: "x@gmail.example" }))).resolves.toMatchObject({
      reason: "sso_domain_not_allowed",
    });
    await expect(
      signInWithSso(db, settings, identity({ email: "y@nhs.net", emailVerified: false })),
    ).resolves.toMatchObject({ reason: "sso_unverified_email" });
    expect(await getUserByEmail(db, "y@nhs.net")).toBeUndefined();
    expect((await auditFor(db, "user:new.starter@nhs.net")).map((e) => e.action)).toEqual([
      "user.self_registered",
      "auth.sso_signed_in",
    ]);
  });
});

describe("ssoIdentityOf", () => {
  it("counts an e-mail as verified only when the provider says true", () => {
    const base = { iss: ISSUER, sub: "s", email: "a@nhs.net" };
    expect(ssoIdentityOf({ ...base, email_verified: true }).emailVerified).toBe(true);
    expect(ssoIdentityOf({ ...base, email_verified: "true" }).emailVerified).toBe(true);
    expect(ssoIdentityOf({ ...base, email_verified: "false" }).emailVerified).toBe(false);
    expect(ssoIdentityOf({ ...base, email_verified: 1 }).emailVerified).toBe(false);
    expect(ssoIdentityOf(base).emailVerified).toBe(false);
  });
});
