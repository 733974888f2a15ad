import { createHash, timingSafeEqual, verify } from "node:crypto";
import { approvalStatementJson, type ApprovalAssertion, type ApprovalStatement } from "../signed-approval";
import type { ApproverPublicKey } from "./public-key";

/**
 * Verifies a WebAuthn assertion over an approval statement (W3C WebAuthn Level 2, §7.2), with
 * node:crypto only: the client data is a `webauthn.get` for exactly this statement's challenge from
 * an allowed portal origin, the authenticator data is for an allowed relying party with the user
 * present and verified, and the signature over authenticatorData ‖ SHA-256(clientDataJSON) is by
 * one of the given keys. The site runs this against the keys its Trust enrolled; the hub runs it
 * against the approver's registered key before it stores a decision.
 */
export type AssertionPolicy = {
  /** Origins the approval page may be served from, e.g. https://flip.example.nhs.uk. */
  origins: readonly string[];
  /** Relying-party ids whose SHA-256 the authenticator data may carry (the portal's host name). */
  rpIds: readonly string[];
};

export type AssertionCheck<K> = { ok: true; key: K } | { ok: false; reason: string };

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;

const sha256 = (data: Uint8Array | string) => createHash("sha256").update(data).digest();

/** The WebAuthn challenge for a statement: SHA-256 of its canonical JSON. */
export function approvalChallenge(statement: ApprovalStatement): Buffer {
  return sha256(approvalStatementJson(statement));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function signatureValid(key: ApproverPublicKey, data: Buffer, signature: Buffer): boolean {
  try {
    if (key.algorithm === "EdDSA") return verify(null, data, key.key, signature);
    // WebAuthn ES256 signatures are ASN.1 DER (not raw r‖s); RS256 is RSASSA-PKCS1-v1_5.
    if (key.algorithm === "ES256") return verify("sha256", data, { key: key.key, dsaEncoding: "der" }, signature);
    return verify("sha256", data, key.key, signature);
  } catch {
    return false;
  }
}

export function verifyApprovalAssertion<K extends ApproverPublicKey>(
  statement: ApprovalStatement,
  assertion: ApprovalAssertion,
  keys: readonly K[],
  policy: AssertionPolicy,
): AssertionCheck<K> {
  const clientDataBytes = Buffer.from(assertion.clientDataJSON, "base64url");
  let clientData: { type?: unknown; challenge?: unknown; origin?: unknown; crossOrigin?: unknown };
  try {
    clientData = JSON.parse(clientDataBytes.toString("utf8")) as typeof clientData;
  } catch {
    return { ok: false, reason: "the client data is not JSON" };
  }
  if (clientData.type !== "webauthn.get") return { ok: false, reason: "the client data is not a webauthn.get" };
  if (clientData.challenge !== approvalChallenge(statement).toString("base64url"))
    return {
      ok: false,
      reason: "the signature is for another statement (bundle, revision, project, site, decision or time)",
    };
  if (typeof clientData.origin !== "string" || !policy.origins.includes(clientData.origin))
    return { ok: false, reason: `it was signed on ${String(clientData.origin)}, not an allowed portal origin` };
  if (clientData.crossOrigin === true) return { ok: false, reason: "it was signed in a cross-origin frame" };

  const authData = Buffer.from(assertion.authenticatorData, "base64url");
  if (authData.length < 37) return { ok: false, reason: "the authenticator data is too short" };
  const rpIdHash = authData.subarray(0, 32);
  if (!policy.rpIds.some((rpId) => sameBytes(rpIdHash, sha256(rpId))))
    return { ok: false, reason: "the authenticator data is for another relying party" };
  const flags = authData[32]!;
  if (!(flags & FLAG_USER_PRESENT)) return { ok: false, reason: "the user was not present" };
  if (!(flags & FLAG_USER_VERIFIED)) return { ok: false, reason: "the user was not verified (PIN or biometric)" };

  const signed = Buffer.concat([authData, sha256(clientDataBytes)]);
  const signature = Buffer.from(assertion.signature, "base64url");
  const key = keys.find((k) => signatureValid(k, signed, signature));
  if (!key) return { ok: false, reason: "the signature is by none of the enrolled approvers' keys" };
  return { ok: true, key };
}
