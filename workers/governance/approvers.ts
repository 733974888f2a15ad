import { z } from "zod";
import { parsePublicKey, PublicKeyError, type ApproverPublicKey } from "@/protocol/webauthn/public-key";
import { formatFingerprint, normaliseFingerprint } from "@/protocol/webauthn/fingerprint";

/**
 * The approvers a Trust's IT enrols in its site policy: each one's passkey public key, copied from
 * the portal, with the fingerprint the portal showed beside it. The worker works the fingerprint out
 * from the key and refuses to start when they differ, so a key mangled on the way is caught at once.
 */
export const ZApprover = z
  .strictObject({
    name: z.string().trim().min(1, "name the approver").max(120),
    publicKey: z.string().trim().min(1, "paste the approver's public key").max(4000),
    fingerprint: z.string().trim().min(1, "copy the key's fingerprint from the portal").max(200),
  })
  .transform((approver, ctx): Approver | typeof z.NEVER => {
    let parsed: ApproverPublicKey;
    try {
      parsed = parsePublicKey(approver.publicKey);
    } catch (error) {
      const reason = error instanceof PublicKeyError ? error.message : "it does not decode";
      ctx.addIssue({ code: "custom", path: ["publicKey"], message: `not a passkey public key: ${reason}` });
      return z.NEVER;
    }
    if (normaliseFingerprint(approver.fingerprint) !== parsed.fingerprint) {
      ctx.addIssue({
        code: "custom",
        path: ["fingerprint"],
        message: `does not match the key, whose fingerprint is ${formatFingerprint(parsed.fingerprint)}; copy both again from the portal`,
      });
      return z.NEVER;
    }
    return { ...parsed, name: approver.name };
  });
export type Approver = ApproverPublicKey & { name: string };

/** An origin such as https://flip.example.nhs.uk: scheme, host and port only, as browsers put it in client data. */
export const ZPortalOrigin = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "https:" || url.hostname === "localhost") && url.origin === value;
    } catch {
      return false;
    }
  },
  { message: "an origin such as https://flip.example.nhs.uk (https, no path or trailing slash)" },
);

/** The relying-party ids an assertion may be for: the policy's own, else the portal origins' host names. */
export function relyingPartyIds(policy: { rpId?: string; portalOrigins: string[] }): string[] {
  return policy.rpId ? [policy.rpId] : [...new Set(policy.portalOrigins.map((o) => new URL(o).hostname))];
}

/** The keys the worker trusts, one line each, for its start-up log and `flip-worker check`. */
export function describeTrustedKeys(approvers: readonly Approver[]): string {
  if (approvers.length === 0) return "none enrolled: tasks run without signed approvals";
  return approvers.map((a) => `${a.name} (${a.algorithm}) ${formatFingerprint(a.fingerprint)}`).join("; ");
}
