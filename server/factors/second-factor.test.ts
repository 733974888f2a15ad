import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { authFactors, recoveryCodes, userSessions } from "@/db/schema";
import { ENROL_FIRST, isSecondFactorRequired, secondFactorDue, VERIFY_FIRST } from "@/server/auth/second-factor";
import { decryptFactorSecret } from "@/server/auth/factor-crypto";
import { totpCodeAt } from "@/server/auth/totp";
import {
  addConfirmedTotp,
  auditFor,
  callerAs,
  makeSite,
  makeUser,
  refusedWithoutChange,
  signedInSession,
  viewerOf,
} from "@/server/lib/test-support/fixtures";
import { useTestDatabase } from "@/server/lib/test-support/test-db";

const testDb = useTestDatabase();

/** A fresh browser sign-in of the user (password accepted, nothing else proved yet), as its caller. */
async function signIn(userId: string) {
  const browser = await signedInSession(testDb.db(), userId);
  const viewer = async () => (await browser.viewer())!;
  return { ...browser, viewer, caller: async () => callerAs(testDb.db(), await viewer()) };
}

describe("who must have a second factor", () => {
  it("requires one of admins and approvers always, and of researchers only when the deployment says so", () => {
    expect(isSecondFactorRequired([{ role: "admin" }])).toBe(true);
    expect(isSecondFactorRequired([{ role: "approver" }])).toBe(true);
    expect(isSecondFactorRequired([{ role: "researcher" }])).toBe(false);
    expect(isSecondFactorRequired([{ role: "researcher" }], "required")).toBe(true);
    expect(isSecondFactorRequired([])).toBe(false);
  });

  it("makes whoever has a factor use it, and a proof ends what the session owes", () => {
    const researcher = [{ role: "researcher" as const }];
    expect(secondFactorDue({ grants: researcher, hasFactor: false, factorVerifiedAt: null })).toBeNull();
    expect(secondFactorDue({ grants: researcher, hasFactor: true, factorVerifiedAt: null })).toBe("verify");
    expect(secondFactorDue({ grants: [{ role: "admin" }], hasFactor: false, factorVerifiedAt: null })).toBe("enrol");
    expect(secondFactorDue({ grants: [{ role: "admin" }], hasFactor: true, factorVerifiedAt: new Date() })).toBeNull();
  });
});

describe("the sign-in second step", () => {
  it("refuses everything but the account itself until the session proves the factor", async () => {
    const db = testDb.db();
    const admin = await makeUser(db, [{ role: "admin" }]);
    const { secret } = await addConfirmedTotp(db, admin.id);
    const browser = await signIn(admin.id);
    expect((await browser.viewer()).secondFactor).toBe("verify");
    const before = await browser.caller();
    await expect(before.users.list({})).rejects.toMatchObject({ code: "FORBIDDEN", message: VERIFY_FIRST });
    await expect(before.account.sessions()).rejects.toMatchObject({ code: "FORBIDDEN", message: VERIFY_FIRST });
    await expect(before.account.me()).resolves.toMatchObject({ id: admin.id, secondFactor: "verify" });

    await before.factors.verify({ method: "totp", code: totpCodeAt(secret) });
    const after = await browser.caller();
    expect((await browser.viewer()).secondFactor).toBeNull();
    await expect(after.users.list({})).resolves.toBeDefined();
  });

  it("sends a new admin without a factor to enrolment, which takes a first code and gives ten recovery codes once", async () => {
    const db = testDb.db();
    const admin = await makeUser(db, [{ role: "admin" }]);
    const browser = await signIn(admin.id);
    const caller = await browser.caller();
    await expect(caller.users.list({})).rejects.toMatchObject({ code: "FORBIDDEN", message: ENROL_FIRST });

    const started = await caller.factors.startTotp({ label: "Work phone" });
    expect(started.uri).toMatch(/^otpauth:\/\/totp\/FLIP%20Portal:.+\?.*secret=/);
    expect(started.qrSvg).toMatch(/^<svg/);
    // Not yet a factor: a wrong first code changes nothing the person relies on.
    await expect(caller.factors.confirmTotp({ factorId: started.factorId, code: "000000" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const { recoveryCodes: codes } = await caller.factors.confirmTotp({
      factorId: started.factorId,
      code: totpCodeAt(started.secret),
    });
    expect(new Set(codes).size).toBe(10);
    await expect((await browser.caller()).users.list({})).resolves.toBeDefined();

    // At rest: the secret only encrypted, the codes only hashed.
    const [stored] = await db.select().from(authFactors).where(eq(authFactors.id, started.factorId));
    expect(stored!.totpSecretEncrypted).not.toContain(started.secret);
    expect(decryptFactorSecret(stored!.totpSecretEncrypted!)).toBe(started.secret);
    const hashes = await db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, admin.id));
    expect(hashes.map((h) => h.codeHash)).not.toContain(codes![0]);
    expect(await auditFor(db, `user:${admin.email}`)).toContainEqual(
      expect.objectContaining({ action: "factor.added" }),
    );
  });

  it("lets a researcher without a factor in, and makes one with a factor use it", async () => {
    const db = testDb.db();
    const plain = await makeUser(db, [{ role: "researcher" }]);
    expect((await (await signIn(plain.id)).viewer()).secondFactor).toBeNull();
    const careful = await makeUser(db, [{ role: "researcher" }]);
    await addConfirmedTotp(db, careful.id);
    const caller = await (await signIn(careful.id)).caller();
    await expect(caller.projects.list({})).rejects.toMatchObject({ code: "FORBIDDEN", message: VERIFY_FIRST });
  });

  it("refuses a sealed secret that was altered", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "researcher" }]);
    const { factorId } = await addConfirmedTotp(db, user.id);
    const [row] = await db.select().from(authFactors).where(eq(authFactors.id, factorId));
    const raw = Buffer.from(row!.totpSecretEncrypted!.slice(3), "base64");
    raw[raw.length - 1]! ^= 1;
    expect(() => decryptFactorSecret(`v1:${raw.toString("base64")}`)).toThrow();
  });
});

describe("authenticator codes", () => {
  it("accepts the code of the next step (a fast clock) but not one two steps old", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "approver", siteId: (await makeSite(db)).id }]);
    const { secret } = await addConfirmedTotp(db, user.id);
    const caller = await (await signIn(user.id)).caller();
    await expect(
      caller.factors.verify({ method: "totp", code: totpCodeAt(secret, Date.now() - 60_000) }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^That code is not right/) });
    await expect(
      caller.factors.verify({ method: "totp", code: totpCodeAt(secret, Date.now() + 30_000) }),
    ).resolves.toBeDefined();
  });

  it("never accepts a code twice, nor an earlier one after a later one", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "admin" }]);
    const { secret } = await addConfirmedTotp(db, user.id);
    const code = totpCodeAt(secret, Date.now() + 30_000);
    await (await signIn(user.id)).caller().then((c) => c.factors.verify({ method: "totp", code }));
    // Someone who saw the code types it into another browser.
    const other = await signIn(user.id);
    await expect((await other.caller()).factors.verify({ method: "totp", code })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: "That code has already been used. Wait for the next code in your app",
    });
    await expect(
      (await other.caller()).factors.verify({ method: "totp", code: totpCodeAt(secret) }),
    ).rejects.toMatchObject({ message: "That code has already been used. Wait for the next code in your app" });
    expect((await other.viewer()).secondFactor).toBe("verify");
  });

  it("counts wrong codes: after five, even the right code waits out the 15 minutes", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "admin" }]);
    const { secret } = await addConfirmedTotp(db, user.id);
    const browser = await signIn(user.id);
    const caller = await browser.caller();
    const wrong = totpCodeAt(secret, Date.now() - 10 * 60_000);
    for (let attempt = 1; attempt <= 5; attempt++)
      await expect(caller.factors.verify({ method: "totp", code: wrong })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    await expect(caller.factors.verify({ method: "totp", code: totpCodeAt(secret) })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: "Too many wrong codes. Wait 15 minutes before trying again.",
    });
    expect((await browser.viewer()).secondFactor).toBe("verify");
  });

  it("forgives earlier wrong codes once the right one is typed", async () => {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "admin" }]);
    const { secret } = await addConfirmedTotp(db, user.id);
    const caller = await (await signIn(user.id)).caller();
    const wrong = totpCodeAt(secret, Date.now() - 10 * 60_000);
    for (let attempt = 1; attempt <= 4; attempt++)
      await expect(caller.factors.verify({ method: "totp", code: wrong })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    await caller.factors.verify({ method: "totp", code: totpCodeAt(secret) });
    for (let attempt = 1; attempt <= 4; attempt++)
      await expect(caller.factors.verify({ method: "totp", code: wrong })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
  });
});

describe("recovery codes", () => {
  it("each works once, and making new ones retires the old", async () => {
    const db = testDb.db();
    const admin = await makeUser(db, [{ role: "admin" }]);
    const browser = await signIn(admin.id);
    const started = await (await browser.caller()).factors.startTotp({ label: "Phone" });
    const { recoveryCodes: codes } = await (
      await browser.caller()
    ).factors.confirmTotp({ factorId: started.factorId, code: totpCodeAt(started.secret) });

    const lostPhone = await signIn(admin.id);
    // Typed as people type them: upper case, without the dash.
    const typed = codes![0]!.toUpperCase().replace("-", " ");
    await expect((await lostPhone.caller()).factors.verify({ method: "recovery", code: typed })).resolves.toEqual({
      recoveryCodesLeft: 9,
    });
    await expect((await lostPhone.caller()).users.list({})).resolves.toBeDefined();
    const again = await signIn(admin.id);
    await expect((await again.caller()).factors.verify({ method: "recovery", code: codes![0]! })).rejects.toMatchObject(
      { code: "BAD_REQUEST", message: "That recovery code is not right, or it has been used" },
    );

    const { recoveryCodes: fresh } = await (await lostPhone.caller()).factors.regenerateRecoveryCodes();
    await expect((await again.caller()).factors.verify({ method: "recovery", code: codes![1]! })).rejects.toMatchObject(
      { code: "BAD_REQUEST" },
    );
    await expect((await again.caller()).factors.verify({ method: "recovery", code: fresh[0]! })).resolves.toEqual({
      recoveryCodesLeft: 9,
    });
  });
});

describe("step-up", () => {
  async function adminProvedAgo(minutes: number) {
    const db = testDb.db();
    const admin = await makeUser(db, [{ role: "admin" }]);
    const { secret } = await addConfirmedTotp(db, admin.id);
    const browser = await signIn(admin.id);
    await db
      .update(userSessions)
      .set({ factorVerifiedAt: new Date(Date.now() - minutes * 60_000) })
      .where(eq(userSessions.id, browser.sessionId));
    return { admin, secret, browser };
  }

  it("refuses a sensitive action 6 minutes after the last proof, and allows it again once proved", async () => {
    const db = testDb.db();
    const { secret, browser } = await adminProvedAgo(6);
    const target = await makeUser(db, []);
    await refusedWithoutChange(
      db,
      async () => (await browser.caller()).users.grantRole({ userId: target.id, role: "researcher", siteId: null }),
      { code: "PRECONDITION_FAILED", message: "Confirm it's you with your second factor, then try again." },
    );
    // Everything else goes on as before.
    await expect((await browser.caller()).users.list({})).resolves.toBeDefined();
    await (await browser.caller()).factors.verify({ method: "totp", code: totpCodeAt(secret) });
    await expect(
      (await browser.caller()).users.grantRole({ userId: target.id, role: "researcher", siteId: null }),
    ).resolves.toBeDefined();
  });

  it("asks for it before another authenticator is added, but not for a first one", async () => {
    const { browser } = await adminProvedAgo(6);
    await expect((await browser.caller()).factors.startTotp({ label: "Second phone" })).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
    });
  });

  it("will not remove the last factor of someone whose role needs one", async () => {
    const db = testDb.db();
    const { admin, browser } = await adminProvedAgo(1);
    const [factor] = await db.select().from(authFactors).where(eq(authFactors.userId, admin.id));
    await refusedWithoutChange(db, async () => (await browser.caller()).factors.remove({ factorId: factor!.id }), {
      code: "PRECONDITION_FAILED",
      message: "Your role needs a second factor: add another one before you remove your last.",
    });
  });
});

describe("an admin's reset of someone's factors", () => {
  it("removes them, ends every session of that person, is audited, and sends them to enrolment", async () => {
    const db = testDb.db();
    const admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
    const approver = await makeUser(db, [{ role: "approver", siteId: (await makeSite(db)).id }]);
    const { secret } = await addConfirmedTotp(db, approver.id);
    const phone = await signIn(approver.id);
    await (await phone.caller()).factors.verify({ method: "totp", code: totpCodeAt(secret) });
    const laptop = await signIn(approver.id);

    await expect(callerAs(db, admin).users.byId({ userId: approver.id })).resolves.toMatchObject({ secondFactors: 1 });
    await expect(callerAs(db, admin).users.resetFactors({ userId: approver.id })).resolves.toEqual({
      factorsRemoved: 1,
      sessionsEnded: 2,
    });
    expect(await phone.viewer()).toBeNull();
    expect(await laptop.viewer()).toBeNull();
    const ended = await db.select().from(userSessions).where(eq(userSessions.userId, approver.id));
    expect(ended.map((s) => s.endedReason)).toEqual(["factors_reset", "factors_reset"]);
    expect(await db.select().from(authFactors).where(eq(authFactors.userId, approver.id))).toEqual([]);
    await expect(callerAs(db, admin).users.byId({ userId: approver.id })).resolves.toMatchObject({ secondFactors: 0 });
    expect(await auditFor(db, `user:${approver.email}`)).toContainEqual(
      expect.objectContaining({ action: "user.factors_reset", actorLabel: admin.email }),
    );
    expect((await (await signIn(approver.id)).viewer()).secondFactor).toBe("enrol");
  });

  it("is refused for the admin's own account, changing nothing", async () => {
    const db = testDb.db();
    const admin = await viewerOf(db, (await makeUser(db, [{ role: "admin" }])).id);
    await addConfirmedTotp(db, admin.id);
    await refusedWithoutChange(db, () => callerAs(db, admin).users.resetFactors({ userId: admin.id }), {
      code: "PRECONDITION_FAILED",
      message: "To change your own second factors, use Account security; another admin can reset them for you.",
    });
  });
});
