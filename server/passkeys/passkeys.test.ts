import { createHash, verify } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { authFactors } from "@/db/schema";
import {
  auditFor,
  callerAs,
  makeUser,
  refusedWithoutChange,
  signedInSession,
} from "@/server/lib/test-support/fixtures";
import { addPasskey, SoftwareAuthenticator } from "@/server/lib/test-support/software-authenticator";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { NOT_YOUR_PASSKEY } from "./assertions";
import { consumeChallenge, issueChallenge } from "./challenges";
import { listPasskeys } from "./passkeys.service";
import { NO_PASSKEY, passkeyAssertionOptions, verifyPasskeySignature } from "./signatures";

const testDb = useTestDatabase();

async function signedIn() {
  const db = testDb.db();
  const user = await makeUser(db, [{ role: "researcher" }]);
  const browser = await signedInSession(db, user.id);
  return { db, user, browser, caller: async () => callerAs(db, await browser.viewer()) };
}

const fingerprintOf = (der: Buffer) =>
  createHash("sha256")
    .update(der)
    .digest("hex")
    .toUpperCase()
    .replace(/(..)(?!$)/g, "$1:");

describe("a person's passkeys on their account page", () => {
  it("adds a passkey and lists it with its name, dates and the fingerprint of its public key", async () => {
    const { db, user, caller } = await signedIn();
    const authenticator = new SoftwareAuthenticator();
    const options = await (await caller()).passkeys.registrationOptions();
    expect(options).toMatchObject({
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      user: { name: user.email },
    });
    const added = await (
      await caller()
    ).passkeys.register({ label: " Work laptop ", response: authenticator.register(options) });

    const list = await (await caller()).passkeys.list();
    expect(list).toEqual([
      {
        id: added.id,
        label: "Work laptop",
        createdAt: expect.any(Date),
        lastUsedAt: null,
        fingerprint: added.fingerprint,
      },
    ]);
    expect(added.fingerprint).toBe(fingerprintOf(authenticator.publicKeyDer()));
    expect(added.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect((await auditFor(db, `user:${user.email}`)).at(-1)).toMatchObject({
      action: "passkey.added",
      details: { label: "Work laptop", fingerprint: added.fingerprint },
    });
  });

  it("renames and removes only the person's own passkeys", async () => {
    const { db, user, caller } = await signedIn();
    const own = await addPasskey(db, (await (await signedInSession(db, user.id)).viewer())!);
    const other = await signedIn();
    const theirs = await addPasskey(db, (await other.browser.viewer())!);
    // The owner's session is past its second factor, so it may change passkeys.
    await (
      await caller()
    ).passkeys.verifySecondFactor({
      response: own.authenticator.assert(await (await caller()).passkeys.secondFactorOptions()),
    });

    await expect((await caller()).passkeys.rename({ passkeyId: own.passkey.id, label: "YubiKey" })).resolves.toEqual({
      id: own.passkey.id,
      label: "YubiKey",
    });
    const NOT_THEIRS = {
      code: "NOT_FOUND",
      message: "There is no such passkey on your account. Reload the page to see your passkeys.",
    };
    const me = await caller();
    await refusedWithoutChange(
      db,
      () => me.passkeys.rename({ passkeyId: theirs.passkey.id, label: "Mine" }),
      NOT_THEIRS,
    );
    await refusedWithoutChange(db, () => me.passkeys.remove({ passkeyId: theirs.passkey.id }), NOT_THEIRS);
    expect(
      await refusedWithoutChange(db, () => me.passkeys.rename({ passkeyId: own.passkey.id, label: "  " }), {
        code: "BAD_REQUEST",
      }),
    ).toEqual({ label: ["Name this passkey, like “Work laptop” or “YubiKey”."] });

    await expect(me.passkeys.remove({ passkeyId: own.passkey.id })).resolves.toEqual({ removed: true });
    expect(await me.passkeys.list()).toEqual([]);
    expect((await auditFor(db, `user:${user.email}`)).map((e) => e.action)).toEqual(
      expect.arrayContaining(["passkey.renamed", "passkey.removed"]),
    );
  });

  it("lets a session that has not proved a second factor neither add nor remove passkeys", async () => {
    const { db, user, caller } = await signedIn();
    const { passkey } = await addPasskey(db, (await (await signedInSession(db, user.id)).viewer())!);
    const me = await caller();
    const CONFIRM_FIRST = {
      code: "FORBIDDEN",
      message: "Confirm it is you with your passkey or authenticator app before changing your passkeys.",
    };
    await refusedWithoutChange(db, () => me.passkeys.registrationOptions(), CONFIRM_FIRST);
    await refusedWithoutChange(db, () => me.passkeys.remove({ passkeyId: passkey.id }), CONFIRM_FIRST);
  });

  it("asks a person without passkeys to use another factor instead", async () => {
    const { db, caller } = await signedIn();
    const me = await caller();
    await refusedWithoutChange(db, () => me.passkeys.secondFactorOptions(), {
      code: "PRECONDITION_FAILED",
      message: NO_PASSKEY,
    });
  });
});

describe("passkey signatures over a caller's challenge (signed approvals)", () => {
  async function signing() {
    const { db, user, browser } = await signedIn();
    const { authenticator } = await addPasskey(db, (await browser.viewer())!);
    const decision = createHash("sha256")
      .update(`{"decision":"approved","revision":"r1","approver":"${user.id}"}`)
      .digest("base64url");
    const challenge = await issueChallenge(db, { purpose: "approval_signature", userId: user.id, challenge: decision });
    const options = await passkeyAssertionOptions(db, { userId: user.id, challenge });
    return { db, user, authenticator, challenge, response: authenticator.assert(options) };
  }

  it("returns the signing key as SPKI PEM, which verifies the signature outside the hub", async () => {
    const { db, user, authenticator, challenge, response } = await signing();
    await consumeChallenge(db, { purpose: "approval_signature", userId: user.id, challenge });
    const signature = await verifyPasskeySignature(db, { userId: user.id, challenge, response });

    const [listed] = await listPasskeys(db, user.id);
    expect(signature).toMatchObject({
      credentialId: listed!.credentialId,
      publicKeyPem: listed!.publicKeyPem,
      fingerprint: fingerprintOf(authenticator.publicKeyDer()),
    });
    expect(signature.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const signed = Buffer.concat([
      Buffer.from(signature.authenticatorData, "base64url"),
      createHash("sha256").update(Buffer.from(signature.clientDataJSON, "base64url")).digest(),
    ]);
    expect(verify("sha256", signed, signature.publicKeyPem, Buffer.from(signature.signature, "base64url"))).toBe(true);
  });

  it("refuses to issue the same caller's challenge twice", async () => {
    const { db, user, challenge } = await signing();
    await expect(
      issueChallenge(db, { purpose: "approval_signature", userId: user.id, challenge }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
      message: "This request was already sent for signing. Reload the page and sign again.",
    });
  });

  it("refuses a signature over another challenge, or by someone else's passkey", async () => {
    const { db, user, response } = await signing();
    const elsewhere = createHash("sha256").update("something else").digest("base64url");
    await expect(verifyPasskeySignature(db, { userId: user.id, challenge: elsewhere, response })).rejects.toMatchObject(
      {
        message: "This passkey signature is for something else. Sign again.",
      },
    );
    const other = await signing();
    await expect(
      verifyPasskeySignature(db, { userId: user.id, challenge: other.challenge, response: other.response }),
    ).rejects.toMatchObject({ message: NOT_YOUR_PASSKEY });
    expect(await db.select().from(authFactors).where(eq(authFactors.userId, user.id))).toMatchObject([
      { signCount: 0, lastUsedAt: null },
    ]);
  });
});
