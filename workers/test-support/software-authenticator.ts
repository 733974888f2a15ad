import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from "node:crypto";
import type { Bundle } from "@/protocol/bundle";
import { canonicalBundleJson, hashBundle } from "@/protocol/bundle-hash";
import type { ApprovalAssertion, ApprovalStatement, TaskGovernance } from "@/protocol/signed-approval";
import { approvalChallenge } from "@/protocol/webauthn/verify-assertion";

/**
 * A software passkey for tests: a real key pair and the bytes a platform authenticator and browser
 * would produce for navigator.credentials.get (authenticatorData, clientDataJSON, a signature over
 * authenticatorData ‖ SHA-256(clientDataJSON)). Options let a test produce each kind of bad assertion.
 */
export type SoftwareAuthenticator = ReturnType<typeof createSoftwareAuthenticator>;
type Algorithm = "ES256" | "EdDSA" | "RS256";

export const TEST_PORTAL_ORIGIN = "https://flip.test.nhs.uk";
export const TEST_RP_ID = "flip.test.nhs.uk";

export type SignOptions = {
  origin?: string;
  rpId?: string;
  type?: string;
  /** Authenticator flags; user present and user verified by default. */
  flags?: number;
};

function keyPair(algorithm: Algorithm) {
  if (algorithm === "ES256") return generateKeyPairSync("ec", { namedCurve: "P-256" });
  if (algorithm === "EdDSA") return generateKeyPairSync("ed25519");
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

/** CBOR for the small maps COSE keys are (integer labels, integer and byte-string values). */
function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const head = Buffer.alloc(3);
  head[0] = (major << 5) | 25;
  head.writeUInt16BE(length, 1);
  return head;
}
function cborMap(entries: [number, number | Buffer][]): Buffer {
  const parts = [cborHead(5, entries.length)];
  for (const [label, value] of entries) {
    for (const item of [label, value]) {
      if (Buffer.isBuffer(item)) parts.push(cborHead(2, item.length), item);
      else parts.push(item >= 0 ? cborHead(0, item) : cborHead(1, -1 - item));
    }
  }
  return Buffer.concat(parts);
}

function coseOf(publicKey: KeyObject, algorithm: Algorithm): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  const b = (value: string | undefined) => Buffer.from(value!, "base64url");
  if (algorithm === "ES256")
    return cborMap([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, b(jwk.x)],
      [-3, b(jwk.y)],
    ]);
  if (algorithm === "EdDSA")
    return cborMap([
      [1, 1],
      [3, -8],
      [-1, 6],
      [-2, b(jwk.x)],
    ]);
  return cborMap([
    [1, 3],
    [3, -257],
    [-1, b(jwk.n)],
    [-2, b(jwk.e)],
  ]);
}

export function createSoftwareAuthenticator(algorithm: Algorithm = "ES256") {
  const { publicKey, privateKey } = keyPair(algorithm);
  const credentialId = randomBytes(16).toString("base64url");
  let counter = 0;
  return {
    credentialId,
    /** The public key as the site policy may list it: SPKI DER in base64. */
    spkiBase64: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
    spkiPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    /** The public key as WebAuthn registration returns it: COSE, base64url. */
    coseBase64url: coseOf(publicKey, algorithm).toString("base64url"),
    /** The private key (PKCS#8, base64), for a browser's virtual authenticator to sign with the same passkey. */
    privateKeyPkcs8Base64: privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),

    /** Signs any challenge, as navigator.credentials.get would. */
    assert(challenge: Buffer, options: SignOptions = {}): ApprovalAssertion {
      const clientDataJSON = Buffer.from(
        JSON.stringify({
          type: options.type ?? "webauthn.get",
          challenge: challenge.toString("base64url"),
          origin: options.origin ?? TEST_PORTAL_ORIGIN,
          crossOrigin: false,
        }),
      );
      const authenticatorData = Buffer.alloc(37);
      createHash("sha256")
        .update(options.rpId ?? TEST_RP_ID)
        .digest()
        .copy(authenticatorData, 0);
      authenticatorData[32] = options.flags ?? 0x05;
      authenticatorData.writeUInt32BE(++counter, 33);
      const data = Buffer.concat([authenticatorData, createHash("sha256").update(clientDataJSON).digest()]);
      const signature =
        algorithm === "EdDSA"
          ? sign(null, data, privateKey)
          : sign("sha256", data, algorithm === "ES256" ? { key: privateKey, dsaEncoding: "der" } : privateKey);
      return {
        credentialId,
        authenticatorData: authenticatorData.toString("base64url"),
        clientDataJSON: clientDataJSON.toString("base64url"),
        signature: signature.toString("base64url"),
      };
    },

    /** Signs an approval statement. */
    signApproval(statement: ApprovalStatement, options: SignOptions = {}): ApprovalAssertion {
      return this.assert(approvalChallenge(statement), options);
    },

    /** What an honest hub would send with a task of this project: the bundle and this approver's signed approval of it. */
    signedGovernance(bundle: Bundle, { projectId, siteCode }: { projectId: string; siteCode: string }): TaskGovernance {
      const revisionId = randomUUID();
      const decidedAt = new Date().toISOString();
      const bundleHash = hashBundle(bundle);
      const statement = { bundleHash, revisionId, projectId, siteCode, decision: "approved" as const, decidedAt };
      return {
        projectId,
        revisionId,
        bundleJson: canonicalBundleJson(bundle),
        bundleHash,
        approval: {
          decision: "approved",
          decidedAt,
          keyFingerprint: "0".repeat(64),
          assertion: this.signApproval(statement),
        },
      };
    },
  };
}
