import type { Database } from "@/db/client";
import { recordAudit } from "@/server/audit/audit.service";
import type { Viewer } from "@/server/auth/permissions";
import { recordFactorVerified } from "@/server/auth/sessions";
import { challengeOf, verifyAssertion } from "./assertions";
import { consumeChallenge, issueChallenge } from "./challenges";
import type { TPasskeyAssertionInput } from "./passkeys.schema";
import { passkeyAssertionOptions } from "./signatures";

/**
 * A passkey as the second factor of this session: after a password or SSO sign-in, and for a step-up
 * before a sensitive action. The challenge is bound to the user and this browser session.
 */
export async function secondFactorOptions(db: Database, viewer: Viewer) {
  return db.transaction(async (tx) => {
    const challenge = await issueChallenge(tx, {
      purpose: "second_factor",
      userId: viewer.id,
      sessionId: viewer.session?.id,
    });
    return passkeyAssertionOptions(tx, { userId: viewer.id, challenge });
  });
}

/** Checks the assertion and marks this session as having proved a second factor just now. */
export async function verifySecondFactor(db: Database, viewer: Viewer, { response }: TPasskeyAssertionInput) {
  const challenge = challengeOf(response);
  await consumeChallenge(db, {
    purpose: "second_factor",
    challenge,
    userId: viewer.id,
    sessionId: viewer.session?.id,
  });
  return db.transaction(async (tx) => {
    const { factorId } = await verifyAssertion(tx, { response, expectedChallenge: challenge, userId: viewer.id });
    if (viewer.session) await recordFactorVerified(tx, viewer.session.id);
    await recordAudit(tx, {
      actor: viewer,
      action: "auth.second_factor_verified",
      subject: `user:${viewer.email}`,
      details: { method: "passkey", factorId },
    });
    return { verified: true as const };
  });
}
