import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { cose, decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";

const base64url = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString("base64url") : undefined);

const CURVES: Partial<Record<number, string>> = {
  [cose.COSECRV.P256]: "P-256",
  [cose.COSECRV.P384]: "P-384",
  [cose.COSECRV.P521]: "P-521",
};

/** The COSE public key a passkey registered with, as a JSON Web Key Node can import. */
function coseToJwk(coseKey: Uint8Array): JsonWebKey {
  const key = decodeCredentialPublicKey(new Uint8Array(coseKey));
  if (cose.isCOSEPublicKeyEC2(key)) {
    const crv = CURVES[key.get(cose.COSEKEYS.crv) ?? 0];
    if (crv) return { kty: "EC", crv, x: base64url(key.get(cose.COSEKEYS.x)), y: base64url(key.get(cose.COSEKEYS.y)) };
  }
  if (cose.isCOSEPublicKeyOKP(key) && key.get(cose.COSEKEYS.crv) === cose.COSECRV.ED25519)
    return { kty: "OKP", crv: "Ed25519", x: base64url(key.get(cose.COSEKEYS.x)) };
  if (cose.isCOSEPublicKeyRSA(key))
    return { kty: "RSA", n: base64url(key.get(cose.COSEKEYS.n)), e: base64url(key.get(cose.COSEKEYS.e)) };
  throw new Error("This passkey's public key type is not supported.");
}

function spkiKey(coseKey: Uint8Array): KeyObject {
  return createPublicKey({ key: coseToJwk(coseKey), format: "jwk" });
}

/**
 * SHA-256 of the key's SubjectPublicKeyInfo (DER) as colon-separated hex bytes,
 * "3F:A0:…" (32 groups): what a person compares with the fingerprint their account page shows.
 */
export function fingerprintOfSpki(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex").toUpperCase().match(/../g)!.join(":");
}

/** A passkey's public key as SPKI PEM and its fingerprint, for verifying its signatures anywhere. */
export function describePublicKey(coseKey: Uint8Array): { publicKeyPem: string; fingerprint: string } {
  const key = spkiKey(coseKey);
  return {
    publicKeyPem: key.export({ type: "spki", format: "pem" }).toString(),
    fingerprint: fingerprintOfSpki(key.export({ type: "spki", format: "der" })),
  };
}
