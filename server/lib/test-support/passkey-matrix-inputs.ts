import { randomUUID } from "node:crypto";
import type { ActorName, World } from "@/server/authorization.world";
import { addPasskey, SoftwareAuthenticator } from "./software-authenticator";
import { passkeyRegistrationOptions } from "@/server/passkeys/passkeys.service";
import { secondFactorOptions } from "@/server/passkeys/second-factor";

/*
 * Inputs for the passkey procedures' rows of the authorisation matrix. Each allowed call needs the
 * actor's own passkey or ceremony, so inputs are made per actor; a signed-out caller gets a
 * well-formed answer from a passkey nobody registered.
 */

const stranger = () => new SoftwareAuthenticator();

export async function registrationInput(world: World, actor: ActorName) {
  const viewer = world.viewers[actor];
  const options = viewer ? await passkeyRegistrationOptions(world.db, viewer) : { challenge: "bWF0cml4" };
  return { label: "Matrix passkey", response: stranger().register(options) };
}

async function ownPasskeyId(world: World, actor: ActorName) {
  const viewer = world.viewers[actor];
  return viewer ? (await addPasskey(world.db, viewer)).passkey.id : randomUUID();
}

export async function secondFactorInput(world: World, actor: ActorName) {
  const viewer = world.viewers[actor];
  if (!viewer) {
    const authenticator = stranger();
    authenticator.register({ challenge: "bWF0cml4" });
    return { response: authenticator.assert({ challenge: "bWF0cml4" }) };
  }
  const { authenticator } = await addPasskey(world.db, viewer);
  return { response: authenticator.assert(await secondFactorOptions(world.db, viewer)) };
}

export async function ownPasskeyInput(world: World, actor: ActorName) {
  return { passkeyId: await ownPasskeyId(world, actor) };
}

/** Gives the actor a passkey, so asking for a second-factor challenge has one to offer. */
export async function withPasskey(world: World, actor: ActorName) {
  const viewer = world.viewers[actor];
  if (viewer) await addPasskey(world.db, viewer);
  return undefined;
}
