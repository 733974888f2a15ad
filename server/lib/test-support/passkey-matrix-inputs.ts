import { randomUUID } from "node:crypto";
import type { Viewer } from "@/server/auth/permissions";
import type { World } from "@/server/authorization.world";
import { passkeyRegistrationOptions } from "@/server/passkeys/passkeys.service";
import { secondFactorOptions } from "@/server/passkeys/second-factor";
import { viewerOf } from "./fixtures";
import { addPasskey, SoftwareAuthenticator } from "./software-authenticator";

/*
 * Inputs for the passkey rows of the authorisation matrix. Each allowed call needs the caller's own
 * passkey or a ceremony bound to the session making the call (`viewer`); a signed-out caller gets a
 * well-formed answer from a passkey nobody registered. Passkeys are added from a session of their
 * own, so the session under test proves nothing it did not prove before.
 */

const CHALLENGE = "bWF0cml4";

const passkeyOf = async (world: World, viewer: Viewer) => addPasskey(world.db, await viewerOf(world.db, viewer.id));

export async function registrationInput(world: World, _actor: unknown, viewer: Viewer | null) {
  const options = viewer ? await passkeyRegistrationOptions(world.db, viewer) : { challenge: CHALLENGE };
  return { label: "Matrix passkey", response: new SoftwareAuthenticator().register(options) };
}

export async function ownPasskeyInput(world: World, _actor: unknown, viewer: Viewer | null) {
  return { passkeyId: viewer ? (await passkeyOf(world, viewer)).passkey.id : randomUUID() };
}

/** Gives the caller a passkey, so asking for a second-factor challenge has one to offer. */
export async function withPasskey(world: World, _actor: unknown, viewer: Viewer | null) {
  if (viewer) await passkeyOf(world, viewer);
  return undefined;
}

export async function secondFactorInput(world: World, _actor: unknown, viewer: Viewer | null) {
  if (!viewer) {
    const authenticator = new SoftwareAuthenticator();
    authenticator.register({ challenge: CHALLENGE });
    return { response: authenticator.assert({ challenge: CHALLENGE }) };
  }
  const { authenticator } = await passkeyOf(world, viewer);
  return { response: authenticator.assert(await secondFactorOptions(world.db, viewer)) };
}
