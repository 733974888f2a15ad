import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";
import type { Database } from "@/db/client";
import type { Viewer } from "@/server/auth/permissions";
import type { TAuthenticationResponse, TRegistrationResponse } from "@/server/passkeys/passkeys.schema";
import { passkeyRegistrationOptions, registerPasskey } from "@/server/passkeys/passkeys.service";
import { relyingParty } from "@/server/passkeys/relying-party";

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

type Credential = { id: Buffer; privateKey: KeyObject; cose: Uint8Array; counter: number; userHandle?: string };

/** What a test may change about one ceremony, to play a phishing site, a cloned key and so on. */
export type CeremonyTweaks = {
  origin?: string;
  rpId?: string;
  /** The authenticator reports the person verified (PIN, biometric); default true. */
  userVerified?: boolean;
  /** The counter to report, instead of the next one. */
  counter?: number;
  /** A `webauthn.create` answer where `webauthn.get` is due, or the reverse. */
  type?: string;
};

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/**
 * A passkey authenticator in software, for tests: P-256 keys made in Node, attestation "none",
 * discoverable credentials, and assertions signed exactly as a platform authenticator signs them
 * (ECDSA over authenticatorData ‖ SHA-256(clientDataJSON)). By default it acts on the hub's own
 * origin and relying party id.
 */
export class SoftwareAuthenticator {
  private readonly credentials: Credential[] = [];

  constructor(private readonly rp = relyingParty()) {}

  private authData(rpId: string, flags: number, counter: number, attested?: Uint8Array) {
    const head = Buffer.alloc(37);
    sha256(rpId).copy(head, 0);
    head[32] = flags;
    head.writeUInt32BE(counter, 33);
    return attested ? Buffer.concat([head, attested]) : head;
  }

  private clientData(type: string, challenge: string, origin: string) {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** Answers `navigator.credentials.create()` options: a new discoverable P-256 credential. */
  register(options: { challenge: string; user?: { id: string } }, tweaks: CeremonyTweaks = {}): TRegistrationResponse {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x!, "base64url"))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, "base64url"))],
      ]),
    );
    const id = randomBytes(16);
    const credential = { id, privateKey, cose, counter: 0, userHandle: options.user?.id };
    this.credentials.push(credential);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(id.length);
    const attested = Buffer.concat([Buffer.alloc(16), length, id, cose]);
    const flags = FLAG_UP | FLAG_AT | (tweaks.userVerified === false ? 0 : FLAG_UV);
    const authData = this.authData(tweaks.rpId ?? this.rp.id, flags, 0, attested);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", new Uint8Array(authData)],
      ]) as Parameters<typeof isoCBOR.encode>[0],
    );
    return {
      id: b64(id),
      rawId: b64(id),
      type: "public-key",
      response: {
        clientDataJSON: b64(
          this.clientData(tweaks.type ?? "webauthn.create", options.challenge, tweaks.origin ?? this.rp.origin),
        ),
        attestationObject: b64(attestationObject),
        transports: ["internal"],
      },
      authenticatorAttachment: "platform",
    };
  }

  /**
   * Answers `navigator.credentials.get()` options with the newest credential (or `credentialId`),
   * counting up its signature counter as a hardware authenticator does.
   */
  assert(
    options: { challenge: string },
    tweaks: CeremonyTweaks & { credentialId?: string } = {},
  ): TAuthenticationResponse {
    const credential = tweaks.credentialId
      ? this.credentials.find((c) => b64(c.id) === tweaks.credentialId)
      : this.credentials.at(-1);
    if (!credential) throw new Error("the software authenticator holds no such credential");
    credential.counter = tweaks.counter ?? credential.counter + 1;
    const flags = FLAG_UP | (tweaks.userVerified === false ? 0 : FLAG_UV);
    const authenticatorData = this.authData(tweaks.rpId ?? this.rp.id, flags, credential.counter);
    const clientDataJSON = this.clientData(
      tweaks.type ?? "webauthn.get",
      options.challenge,
      tweaks.origin ?? this.rp.origin,
    );
    const signature = sign("sha256", Buffer.concat([authenticatorData, sha256(clientDataJSON)]), credential.privateKey);
    return {
      id: b64(credential.id),
      rawId: b64(credential.id),
      type: "public-key",
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authenticatorData),
        signature: b64(signature),
        ...(credential.userHandle ? { userHandle: credential.userHandle } : {}),
      },
      authenticatorAttachment: "platform",
    };
  }

  /** The SPKI DER of the newest credential's public key, to compare fingerprints with. */
  publicKeyDer(): Buffer {
    const credential = this.credentials.at(-1);
    if (!credential) throw new Error("the software authenticator holds no credential");
    return createPublicKey(credential.privateKey).export({ type: "spki", format: "der" });
  }
}

/** Registers a new passkey for `viewer` through the hub's own ceremony, on a fresh software authenticator. */
export async function addPasskey(db: Database, viewer: Viewer, label = "Test passkey") {
  const authenticator = new SoftwareAuthenticator();
  const options = await passkeyRegistrationOptions(db, viewer);
  const passkey = await registerPasskey(db, viewer, { label, response: authenticator.register(options) });
  return { authenticator, passkey };
}
