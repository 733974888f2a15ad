import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  auditFor,
  callerAs,
  makeUser,
  refusedWithoutChange,
  signedInSession,
} from "@/server/lib/test-support/fixtures";
import { addPasskey, SoftwareAuthenticator } from "@/server/lib/test-support/software-authenticator";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { listMyApproverKeys } from "@/server/approvals/approver-keys.service";
import { VERIFY_FIRST } from "@/server/auth/second-factor";
import { NO_PASSKEY } from "./second-factor";

const testDb = useTestDatabase();

async function signedIn() {
  const db = testDb.db();
  const user = await makeUser(db, [{ role: "researcher" }]);
  const browser = await signedInSession(db, user.id);
  return { db, user, browser, caller: async () => callerAs(db, await browser.viewer()) };
}

/** SHA-256 of the key's SPKI DER in groups of four hex digits, computed here from the authenticator's own key. */
const fingerprintOf = (der: Buffer) =>
  createHash("sha256")
    .update(der)
    .digest("hex")
    .replace(/(.{4})(?!$)/g, "$1 ");

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
    expect(added.fingerprint).toMatch(/^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    expect((await auditFor(db, `user:${user.email}`)).at(-1)).toMatchObject({
      action: "passkey.added",
      details: { label: "Work laptop", fingerprint: added.fingerprint },
    });
  });

  it("renames only the person's own passkeys, and removes one as any factor, after a step-up", async () => {
    const { db, user, caller } = await signedIn();
    const own = await addPasskey(db, (await (await signedInSession(db, user.id)).viewer())!);
    const other = await signedIn();
    const theirs = await addPasskey(db, (await other.browser.viewer())!);
    // The owner's session proves its second factor with the passkey: the step-up removal needs.
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
    expect(
      await refusedWithoutChange(db, () => me.passkeys.rename({ passkeyId: own.passkey.id, label: "  " }), {
        code: "BAD_REQUEST",
      }),
    ).toEqual({ label: ["Name this passkey, like “Work laptop” or “YubiKey”."] });

    await expect(me.factors.remove({ factorId: own.passkey.id })).resolves.toEqual({ removed: true });
    expect(await me.passkeys.list()).toEqual([]);
    expect((await auditFor(db, `user:${user.email}`)).map((e) => e.action)).toEqual(
      expect.arrayContaining(["passkey.renamed", "factor.removed"]),
    );
  });

  it("lets a session that has not proved its second factor add no passkey", async () => {
    const { db, user, caller } = await signedIn();
    await addPasskey(db, (await (await signedInSession(db, user.id)).viewer())!);
    const me = await caller();
    await refusedWithoutChange(db, () => me.passkeys.registrationOptions(), {
      code: "FORBIDDEN",
      message: VERIFY_FIRST,
    });
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

describe("one fingerprint per passkey", () => {
  it("is the same on the account page as among the approver's signing keys", async () => {
    const { db, user, browser, caller } = await signedIn();
    const { authenticator } = await addPasskey(db, (await browser.viewer())!);
    const [onAccountPage] = await (await caller()).passkeys.list();
    const [asSigningKey] = await listMyApproverKeys(db, user);
    expect(onAccountPage!.fingerprint).toBe(asSigningKey!.fingerprint);
    expect(onAccountPage!.fingerprint).toBe(fingerprintOf(authenticator.publicKeyDer()));
  });
});
