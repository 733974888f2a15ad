import { z } from "zod";
import { canonicalJson } from "./canonical-json";

/**
 * Signed approvals: what an approver's passkey signs, and what every task carries so the site can
 * check it. Shared by the browser (which builds the statement and asks the authenticator to sign
 * its hash), the hub (which stores the assertion) and the worker (which verifies it against the
 * keys its Trust enrolled; `webauthn/verify-assertion.ts`).
 */

const base64url = (what: string, max: number) =>
  z
    .string()
    .min(1, `${what} is empty`)
    .max(max, `${what} is too long`)
    .regex(/^[A-Za-z0-9_-]+$/, `${what} must be base64url`);

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hash is 64 lowercase hex digits");

/** An ISO 8601 UTC time exactly as `Date.prototype.toISOString` writes it, so every party signs the same text. */
export const ZSignedTime = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value, {
    message: "a time in the form 2026-01-31T12:00:00.000Z",
  });

export const APPROVAL_DECISIONS = ["approved", "declined"] as const;

/**
 * What the approver signs: the bundle (by hash) and revision they reviewed, for which project and
 * site, their decision and when. The WebAuthn challenge is the SHA-256 of its canonical JSON, so a
 * signature fits exactly one (revision, site) and cannot be replayed for another.
 */
export const ZApprovalStatement = z.strictObject({
  bundleHash: hex64,
  revisionId: z.uuid(),
  projectId: z.uuid(),
  siteCode: z.string().min(1).max(20),
  decision: z.enum(APPROVAL_DECISIONS),
  decidedAt: ZSignedTime,
});
export type ApprovalStatement = z.infer<typeof ZApprovalStatement>;

/** The bytes whose SHA-256 is the challenge (UTF-8 of this text). */
export function approvalStatementJson(statement: ApprovalStatement): string {
  return canonicalJson(statement);
}

/** A WebAuthn assertion (navigator.credentials.get) as sent, stored and carried: each part base64url. */
export const ZApprovalAssertion = z.strictObject({
  credentialId: base64url("The credential id", 1400),
  authenticatorData: base64url("The authenticator data", 4000),
  clientDataJSON: base64url("The client data", 4000),
  signature: base64url("The signature", 1400),
});
export type ApprovalAssertion = z.infer<typeof ZApprovalAssertion>;

/** A site's signed decision as the hub keeps it and hands it to the site with each task. */
export const ZSignedApproval = z.strictObject({
  decision: z.enum(APPROVAL_DECISIONS),
  decidedAt: ZSignedTime,
  /** SHA-256 of the signing key's SPKI, as the hub recorded it: a hint for people; the site verifies against its own keys. */
  keyFingerprint: hex64,
  assertion: ZApprovalAssertion,
});
export type SignedApproval = z.infer<typeof ZSignedApproval>;

/** Bundles are small (a cohort, a few model specs); the cap keeps a hostile hub from sending a huge one. */
export const MAX_BUNDLE_JSON_CHARS = 1_000_000;

/**
 * What a project task carries for the site to check before it runs: the bundle it runs under, as
 * the canonical JSON that was hashed, the hash, and the site's signed approval of that revision
 * (null when the site has not approved it: only feasibility counts may run then, where allowed).
 */
export const ZTaskGovernance = z.strictObject({
  projectId: z.uuid(),
  revisionId: z.uuid(),
  bundleJson: z.string().min(2).max(MAX_BUNDLE_JSON_CHARS),
  bundleHash: hex64,
  approval: ZSignedApproval.nullable(),
});
export type TaskGovernance = z.infer<typeof ZTaskGovernance>;
