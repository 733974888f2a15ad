import { createHash } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type { Database } from "@/db/client";
import type { Viewer } from "@/server/auth/permissions";
import type { TAuthenticationResponse, TRegistrationResponse } from "@/server/passkeys/passkeys.schema";
import { passkeyRegistrationOptions, registerPasskey } from "@/server/passkeys/passkeys.service";
import { relyingParty } from "@/server/passkeys/relying-party";
import { createSoftwareAuthenticator } from "@/workers/test-support/software-authenticator";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

type Passkey = { key: ReturnType<typeof createSoftwareAuthenticator>; userHandle?: string };

/** What a test may change about one ceremony, to play a phishing site, a lazy authenticator and so on. */
export type CeremonyTweaks = {
  origin?: string;
  rpId?: string;
  /** The authenticator reports the person verified (PIN, biometric); default true. */
  userVerified?: boolean;
  /** A `webauthn.create` answer where `webauthn.get` is due, or the reverse. */
  type?: string;
};

const flagsOf = (tweaks: CeremonyTweaks) => FLAG_UP | (tweaks.userVerified === false ? 0 : FLAG_UV);

/**
 * The browser and passkey authenticator of the WebAuthn ceremonies, in software, for tests: the
 * signing key is the site workers' software passkey (`workers/test-support`), here wrapped in what
 * `startRegistration()` (attestation "none", a discoverable P-256 credential) and
 * `startAuthentication()` return. By default it acts on the hub's own origin and relying party id.
 */
export class SoftwareAuthenticator {
  private readonly passkeys: Passkey[] = [];

  constructor(private readonly rp = relyingParty()) {}

  /** Answers `navigator.credentials.create()` options with a new credential. */
  register(options: { challenge: string; user?: { id: string } }, tweaks: CeremonyTweaks = {}): TRegistrationResponse {
    const key = createSoftwareAuthenticator("ES256");
    this.passkeys.push({ key, userHandle: options.user?.id });
    const id = Buffer.from(key.credentialId, "base64url");
    const head = Buffer.alloc(37);
    createHash("sha256")
      .update(tweaks.rpId ?? this.rp.id)
      .digest()
      .copy(head, 0);
    head[32] = flagsOf(tweaks) | FLAG_AT;
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const cose = Buffer.from(key.coseBase64url, "base64url");
    const authData = Buffer.concat([head, Buffer.alloc(16), idLength, id, cose]);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", new Uint8Array(authData)],
      ]) as Parameters<typeof isoCBOR.encode>[0],
    );
    const clientData = {
      type: tweaks.type ?? "webauthn.create",
      challenge: options.challenge,
      origin: tweaks.origin ?? this.rp.origin,
      crossOrigin: false,
    };
    return {
      id: key.credentialId,
      rawId: key.credentialId,
      type: "public-key",
      response: {
        clientDataJSON: Buffer.from(JSON.stringify(clientData)).toString("base64url"),
        attestationObject: Buffer.from(attestationObject).toString("base64url"),
        transports: ["internal"],
      },
      authenticatorAttachment: "platform",
    };
  }

  /**
   * Answers `navigator.credentials.get()` options with the newest credential (or `credentialId`); its
   * signature counter counts up as a hardware authenticator's does.
   */
  assert(
    options: { challenge: string },
    tweaks: CeremonyTweaks & { credentialId?: string } = {},
  ): TAuthenticationResponse {
    const passkey = tweaks.credentialId
      ? this.passkeys.find((p) => p.key.credentialId === tweaks.credentialId)
      : this.passkeys.at(-1);
    if (!passkey) throw new Error("the software authenticator holds no such credential");
    const signed = passkey.key.assert(Buffer.from(options.challenge, "base64url"), {
      origin: tweaks.origin ?? this.rp.origin,
      rpId: tweaks.rpId ?? this.rp.id,
      type: tweaks.type,
      flags: flagsOf(tweaks),
    });
    return {
      id: signed.credentialId,
      rawId: signed.credentialId,
      type: "public-key",
      response: {
        clientDataJSON: signed.clientDataJSON,
        authenticatorData: signed.authenticatorData,
        signature: signed.signature,
        ...(passkey.userHandle ? { userHandle: passkey.userHandle } : {}),
      },
      authenticatorAttachment: "platform",
    };
  }

  /** The SPKI DER of the newest credential's public key, to compare fingerprints with. */
  publicKeyDer(): Buffer {
    const passkey = this.passkeys.at(-1);
    if (!passkey) throw new Error("the software authenticator holds no credential");
    return Buffer.from(passkey.key.spkiBase64, "base64");
  }
}

/** Registers a new passkey for `viewer` through the hub's own ceremony, on a fresh software authenticator. */
export async function addPasskey(db: Database, viewer: Viewer, label = "Test passkey") {
  const authenticator = new SoftwareAuthenticator();
  const options = await passkeyRegistrationOptions(db, viewer);
  const passkey = await registerPasskey(db, viewer, { label, response: authenticator.register(options) });
  return { authenticator, passkey };
}
