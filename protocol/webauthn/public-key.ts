import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { coseToKeyObject, CoseKeyError } from "./cose";

/**
 * An approver's passkey public key, as Trust IT pastes it into the site policy: SPKI (PEM, or DER
 * in base64/base64url) or COSE (base64url, as WebAuthn registration returns it). Its fingerprint,
 * the SHA-256 of its SPKI DER, identifies it the same way whatever form it came in.
 */
export type PasskeyAlgorithm = "ES256" | "RS256" | "EdDSA";
export type ApproverPublicKey = { key: KeyObject; fingerprint: string; algorithm: PasskeyAlgorithm };

export class PublicKeyError extends Error {}

const MIN_RSA_BITS = 2048;

function algorithmOf(key: KeyObject): PasskeyAlgorithm {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec" && details.namedCurve === "prime256v1") return "ES256";
  if (key.asymmetricKeyType === "ed25519") return "EdDSA";
  if (key.asymmetricKeyType === "rsa" && (details.modulusLength ?? 0) >= MIN_RSA_BITS) return "RS256";
  throw new PublicKeyError(
    `a ${key.asymmetricKeyType ?? "unknown"} key${details.namedCurve ? ` on ${details.namedCurve}` : ""} is not accepted: use P-256 (ES256), Ed25519 (EdDSA) or RSA of ${MIN_RSA_BITS} bits or more (RS256)`,
  );
}

/** SHA-256 of the key's SPKI DER, lowercase hex. */
export function fingerprintOf(key: KeyObject): string {
  return createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("hex");
}

export function parsePublicKey(text: string): ApproverPublicKey {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (trimmed.startsWith("-----BEGIN PUBLIC KEY-----")) key = createPublicKey({ key: trimmed, format: "pem" });
    else {
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed))
        throw new PublicKeyError("it is neither a PEM public key nor base64 or base64url");
      const bytes = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
      // SPKI DER is an ASN.1 SEQUENCE (0x30); a COSE key is a CBOR map (major type 5).
      if (bytes[0] === 0x30) key = createPublicKey({ key: bytes, format: "der", type: "spki" });
      else if (bytes[0] !== undefined && bytes[0] >> 5 === 5) key = coseToKeyObject(bytes);
      else throw new PublicKeyError("it is neither an SPKI nor a COSE public key");
    }
  } catch (error) {
    if (error instanceof PublicKeyError) throw error;
    const reason = error instanceof CoseKeyError ? error.message : "it does not decode as a public key";
    throw new PublicKeyError(reason);
  }
  return { key, fingerprint: fingerprintOf(key), algorithm: algorithmOf(key) };
}
