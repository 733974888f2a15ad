import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditEvents, authChallenges, authFactors, userSessions, users } from "@/db/schema";
import { signInWithPassword } from "@/server/auth/sign-in.service";
import { FIXTURE_PASSWORD, makeUser, signedInSession } from "@/server/lib/test-support/fixtures";
import {
  addPasskey,
  SoftwareAuthenticator,
  type CeremonyTweaks,
} from "@/server/lib/test-support/software-authenticator";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { COUNTER_WENT_BACK, NOT_VERIFIED, NOT_YOUR_PASSKEY, UNKNOWN_PASSKEY, WRONG_SITE } from "./assertions";
import { CHALLENGE_SPENT, issueChallenge } from "./challenges";
import { passkeySignInOptions, signInWithPasskey } from "./passkey-sign-in";
import { passkeyRegistrationOptions, registerPasskey } from "./passkeys.service";
import { secondFactorOptions, verifySecondFactor } from "./second-factor";

const testDb = useTestDatabase();

/** A researcher with one passkey (added earlier), now signed in with their password in a browser that owes it. */
async function personWithPasskey() {
  const db = testDb.db();
  const user = await makeUser(db, [{ role: "researcher" }]);
  const { authenticator, passkey } = await addPasskey(db, (await (await signedInSession(db, user.id)).viewer())!);
  const browser = await signedInSession(db, user.id);
  return { db, user, browser, authenticator, passkey };
}

async function factorRow(passkeyId: string) {
  const [row] = await testDb.db().select().from(authFactors).where(eq(authFactors.id, passkeyId));
  return row!;
}

async function factorVerifiedAt(sessionId: string) {
  const [row] = await testDb.db().select().from(userSessions).where(eq(userSessions.id, sessionId));
  return row!.factorVerifiedAt;
}

/** The browser side of a usernameless sign-in: options from the hub, an answer from the authenticator. */
async function passkeyAnswer(authenticator: SoftwareAuthenticator, tweaks: CeremonyTweaks = {}) {
  const options = await passkeySignInOptions(testDb.db());
  return { response: JSON.stringify(authenticator.assert(options, tweaks)) };
}

const refused = (message: string) => ({ message });

describe("passkey sign-in", () => {
  it("signs in the passkey's owner, moves its counter on and records the sign-in", async () => {
    const { db, user, authenticator, passkey } = await personWithPasskey();
    await expect(signInWithPasskey(db, await passkeyAnswer(authenticator))).resolves.toEqual({
      id: user.id,
      email: user.email,
      name: user.name,
    });
    expect(await factorRow(passkey.id)).toMatchObject({ signCount: 1, lastUsedAt: expect.any(Date) });
    const events = await db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subject, `user:${user.email}`));
    expect(events.at(-1)).toMatchObject({
      action: "auth.signed_in",
      details: { method: "passkey", passkey: "Test passkey" },
    });
  });

  it.each<[string, CeremonyTweaks, string]>([
    ["made on another origin (a phishing site)", { origin: "https://flip.evil.example" }, WRONG_SITE],
    ["made for another relying party id", { rpId: "evil.example" }, WRONG_SITE],
    ["without user verification (no PIN or biometric)", { userVerified: false }, NOT_VERIFIED],
    [
      "of the registration type",
      { type: "webauthn.create" },
      "Your passkey's answer could not be verified. Try again.",
    ],
  ])("refuses an assertion %s and leaves the passkey unchanged", async (_, tweaks, message) => {
    const { db, authenticator, passkey } = await personWithPasskey();
    await signInWithPasskey(db, await passkeyAnswer(authenticator));
    const before = await factorRow(passkey.id);
    await expect(signInWithPasskey(db, await passkeyAnswer(authenticator, tweaks))).rejects.toMatchObject(
      refused(message),
    );
    expect(await factorRow(passkey.id)).toEqual(before);
  });

  it("refuses an assertion whose counter went backwards (a copy of the key was used elsewhere)", async () => {
    const { db, authenticator, passkey } = await personWithPasskey();
    // The copy signed 1000 times here; this authenticator's counter is far behind.
    await db.update(authFactors).set({ signCount: 1000 }).where(eq(authFactors.id, passkey.id));
    const before = await factorRow(passkey.id);
    await expect(signInWithPasskey(db, await passkeyAnswer(authenticator))).rejects.toMatchObject(
      refused(COUNTER_WENT_BACK),
    );
    expect(await factorRow(passkey.id)).toEqual(before);
  });

  it("refuses a forged signature", async () => {
    const { db, authenticator, passkey } = await personWithPasskey();
    const answer = JSON.parse((await passkeyAnswer(authenticator)).response) as {
      response: { authenticatorData: string };
    };
    // The same signature over different authenticator data (a counter raised by hand).
    const data = Buffer.from(answer.response.authenticatorData, "base64url");
    data.writeUInt32BE(1000, 33);
    answer.response.authenticatorData = data.toString("base64url");
    const before = await factorRow(passkey.id);
    await expect(signInWithPasskey(db, { response: JSON.stringify(answer) })).rejects.toMatchObject(
      refused("Your passkey's answer could not be verified. Try again."),
    );
    expect(await factorRow(passkey.id)).toEqual(before);
  });

  it("refuses a replayed answer: each challenge signs in once", async () => {
    const { db, authenticator } = await personWithPasskey();
    const answer = await passkeyAnswer(authenticator);
    await signInWithPasskey(db, answer);
    await expect(signInWithPasskey(db, answer)).rejects.toMatchObject(refused(CHALLENGE_SPENT));
  });

  it("refuses a challenge the hub never issued, and one that has expired", async () => {
    const { db, authenticator } = await personWithPasskey();
    const invented = { response: JSON.stringify(authenticator.assert({ challenge: "bm90LWlzc3VlZC1ieS10aGUtaHVi" })) };
    await expect(signInWithPasskey(db, invented)).rejects.toMatchObject(refused(CHALLENGE_SPENT));

    const late = await passkeyAnswer(authenticator);
    const challenge = JSON.parse(Buffer.from(JSON.parse(late.response).response.clientDataJSON, "base64url").toString())
      .challenge as string;
    await db
      .update(authChallenges)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(authChallenges.challenge, challenge));
    await expect(signInWithPasskey(db, late)).rejects.toMatchObject(refused(CHALLENGE_SPENT));
  });

  it("refuses a passkey that is not registered here", async () => {
    const { db } = await personWithPasskey();
    const stranger = new SoftwareAuthenticator();
    stranger.register({ challenge: "c3RyYW5nZXI" });
    await expect(signInWithPasskey(db, await passkeyAnswer(stranger))).rejects.toMatchObject(refused(UNKNOWN_PASSKEY));
  });

  it("refuses a challenge issued for a second factor", async () => {
    const { db, browser, authenticator } = await personWithPasskey();
    const options = await secondFactorOptions(db, (await browser.viewer())!);
    const answer = { response: JSON.stringify(authenticator.assert(options)) };
    await expect(signInWithPasskey(db, answer)).rejects.toMatchObject(refused(CHALLENGE_SPENT));
  });

  it("refuses a disabled account", async () => {
    const { db, user, authenticator } = await personWithPasskey();
    await db.update(users).set({ disabled: true }).where(eq(users.id, user.id));
    await expect(signInWithPasskey(db, await passkeyAnswer(authenticator))).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: "This account is disabled. Ask a platform admin to enable it.",
    });
  });

  it("still signs in an account that wrong passwords have locked", async () => {
    const { db, user, authenticator } = await personWithPasskey();
    const ip = "198.51.100.77";
    for (let i = 0; i < 5; i++)
      await expect(signInWithPassword(db, { email: user.email, password: "wrong-password" }, ip)).rejects.toThrow();
    await expect(signInWithPassword(db, { email: user.email, password: FIXTURE_PASSWORD }, ip)).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
    });
    await expect(signInWithPasskey(db, await passkeyAnswer(authenticator))).resolves.toMatchObject({ id: user.id });
  });

  it("refuses an answer the portal cannot read", async () => {
    const { db } = await personWithPasskey();
    for (const credentials of [undefined, { response: "not json" }, { response: JSON.stringify({ id: "x" }) }])
      await expect(signInWithPasskey(db, credentials)).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: "Your browser sent a passkey answer this portal cannot read. Try again.",
      });
  });
});

describe("passkey as a second factor", () => {
  it("marks the session that answered, and only that one", async () => {
    const { db, user, browser, authenticator } = await personWithPasskey();
    const other = await signedInSession(db, user.id);
    const viewer = (await browser.viewer())!;
    await verifySecondFactor(db, viewer, { response: authenticator.assert(await secondFactorOptions(db, viewer)) });
    expect(await factorVerifiedAt(browser.sessionId)).toBeInstanceOf(Date);
    expect(await factorVerifiedAt(other.sessionId)).toBeNull();
  });

  it("refuses a challenge issued to another session of the same person", async () => {
    const { db, user, browser, authenticator } = await personWithPasskey();
    const thief = await signedInSession(db, user.id);
    const options = await secondFactorOptions(db, (await browser.viewer())!);
    await expect(
      verifySecondFactor(db, (await thief.viewer())!, { response: authenticator.assert(options) }),
    ).rejects.toMatchObject(refused(CHALLENGE_SPENT));
    expect(await factorVerifiedAt(thief.sessionId)).toBeNull();
  });

  it("refuses a sign-in challenge", async () => {
    const { db, browser, authenticator } = await personWithPasskey();
    const options = await passkeySignInOptions(db);
    await expect(
      verifySecondFactor(db, (await browser.viewer())!, { response: authenticator.assert(options) }),
    ).rejects.toMatchObject(refused(CHALLENGE_SPENT));
    expect(await factorVerifiedAt(browser.sessionId)).toBeNull();
  });

  it("refuses an answer to a challenge the same session was given for signing an approval", async () => {
    const { db, user, browser, authenticator } = await personWithPasskey();
    const challenge = await issueChallenge(db, {
      purpose: "approval_signature",
      userId: user.id,
      sessionId: browser.sessionId,
    });
    await expect(
      verifySecondFactor(db, (await browser.viewer())!, { response: authenticator.assert({ challenge }) }),
    ).rejects.toMatchObject(refused(CHALLENGE_SPENT));
    expect(await factorVerifiedAt(browser.sessionId)).toBeNull();
  });

  it("refuses someone else's passkey", async () => {
    const { db, browser } = await personWithPasskey();
    const someoneElse = await personWithPasskey();
    const viewer = (await browser.viewer())!;
    const answer = someoneElse.authenticator.assert(await secondFactorOptions(db, viewer));
    await expect(verifySecondFactor(db, viewer, { response: answer })).rejects.toMatchObject(refused(NOT_YOUR_PASSKEY));
    expect(await factorVerifiedAt(browser.sessionId)).toBeNull();
  });

  it("refuses an answer without user verification", async () => {
    const { db, browser, authenticator } = await personWithPasskey();
    const viewer = (await browser.viewer())!;
    const answer = authenticator.assert(await secondFactorOptions(db, viewer), { userVerified: false });
    await expect(verifySecondFactor(db, viewer, { response: answer })).rejects.toMatchObject(refused(NOT_VERIFIED));
    expect(await factorVerifiedAt(browser.sessionId)).toBeNull();
  });
});

describe("passkey registration", () => {
  async function registering(tweaks: CeremonyTweaks) {
    const db = testDb.db();
    const user = await makeUser(db, [{ role: "researcher" }]);
    const viewer = (await (await signedInSession(db, user.id)).viewer())!;
    const response = new SoftwareAuthenticator().register(await passkeyRegistrationOptions(db, viewer), tweaks);
    return { db, user, viewer, response, call: () => registerPasskey(db, viewer, { label: "Laptop", response }) };
  }

  it.each<[string, CeremonyTweaks, string]>([
    ["made on another origin", { origin: "https://flip.evil.example" }, WRONG_SITE],
    ["for another relying party id", { rpId: "evil.example" }, WRONG_SITE],
    ["without user verification", { userVerified: false }, NOT_VERIFIED],
  ])("refuses a new passkey %s and stores nothing", async (_, tweaks, message) => {
    const { db, user, call } = await registering(tweaks);
    await expect(call()).rejects.toMatchObject(refused(message));
    expect(await db.select().from(authFactors).where(eq(authFactors.userId, user.id))).toEqual([]);
  });

  it("accepts each registration challenge once", async () => {
    const { db, user, viewer, response, call } = await registering({});
    await call();
    // The same session, now past its second factor so it may change passkeys, replays the answer.
    const verified = { ...viewer, session: { ...viewer.session!, factorVerifiedAt: new Date() } };
    await expect(registerPasskey(db, verified, { label: "Again", response })).rejects.toMatchObject(
      refused(CHALLENGE_SPENT),
    );
    expect(await db.select().from(authFactors).where(eq(authFactors.userId, user.id))).toHaveLength(1);
  });
});
