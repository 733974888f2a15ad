import type { Tx } from "@/db/client";
import { AppError } from "@/server/errors";
import { getHubConfig } from "@/server/config";
import type { ApprovalAssertion, ApprovalStatement, SignedApproval } from "@/protocol/signed-approval";
import { verifyApprovalAssertion } from "@/protocol/webauthn/verify-assertion";
import { findApproverKey, recordPasskeyUse } from "./approver-keys.service";

/** How far the signed time may be from the hub's clock: the approver signs just before the decision is sent. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** The origins the hub accepts a signature from: the portal's own (NEXTAUTH_URL), else the one the browser reports. */
function hubOrigins(assertion: ApprovalAssertion): string[] {
  const portal = getHubConfig().NEXTAUTH_URL;
  if (portal) return [new URL(portal).origin];
  try {
    const { origin } = JSON.parse(Buffer.from(assertion.clientDataJSON, "base64url").toString("utf8")) as {
      origin?: unknown;
    };
    return typeof origin === "string" && URL.canParse(origin) ? [new URL(origin).origin] : [];
  } catch {
    return [];
  }
}

/**
 * Checks an approver's signed decision before it is stored: the passkey is theirs, and its
 * assertion is over exactly this statement. The hub cannot forge one (it never holds the private
 * key); the check is so that a broken signature is refused now, with a reason, rather than by
 * every site later. Sites verify it again against the keys their own IT enrolled.
 */
export async function checkSignedDecision(
  tx: Tx,
  approver: { id: string },
  statement: ApprovalStatement,
  assertion: ApprovalAssertion,
): Promise<Pick<SignedApproval, "keyFingerprint" | "assertion">> {
  const skew = Math.abs(Date.parse(statement.decidedAt) - Date.now());
  if (skew > MAX_CLOCK_SKEW_MS)
    throw AppError.field(
      "BAD_REQUEST",
      "signature",
      "The signature's time is more than 5 minutes from the portal's clock; check your computer's clock and sign again. Nothing was changed.",
    );
  const stored = await findApproverKey(tx, { userId: approver.id, credentialId: assertion.credentialId });
  if (!stored)
    throw AppError.field(
      "BAD_REQUEST",
      "signature",
      "This passkey is not registered to your account, or its key type cannot sign approvals (use a P-256, Ed25519 or RSA passkey); register one on your account page. Nothing was changed.",
    );
  const origins = hubOrigins(assertion);
  const check = verifyApprovalAssertion(statement, assertion, [stored], {
    origins,
    rpIds: origins.map((o) => new URL(o).hostname),
  });
  if (!check.ok)
    throw AppError.field(
      "BAD_REQUEST",
      "signature",
      `The signature does not hold (${check.reason}); sign the decision again. Nothing was changed.`,
    );
  if (!(await recordPasskeyUse(tx, stored, Buffer.from(assertion.authenticatorData, "base64url"))))
    throw AppError.field(
      "BAD_REQUEST",
      "signature",
      "This passkey's signature counter went backwards, which happens when an authenticator has been copied; nothing was changed. Ask your IT to check the key, or register a new one.",
    );
  return { keyFingerprint: stored.fingerprint, assertion };
}
