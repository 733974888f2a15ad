import { and, eq } from "drizzle-orm";
import { generateAuthenticationOptions, type AuthenticatorTransport } from "@simplewebauthn/server";
import type { Database, DbOrTx } from "@/db/client";
import { authFactors } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { Viewer } from "@/server/auth/permissions";
import { recordFactorVerified } from "@/server/auth/sessions";
import { challengeOf, verifyAssertion } from "./assertions";
import { AppError } from "@/server/errors";
import { CHALLENGE_TTL_MS, consumeChallenge, issueChallenge } from "./challenges";
import type { TPasskeyAssertionInput } from "./passkeys.schema";
import { relyingParty } from "./relying-party";

export const NO_PASSKEY =
  "There is no passkey on your account. Use your authenticator app, or add a passkey on your account page.";

/** Options for the browser to sign `challenge` with one of `userId`'s passkeys, user verification required. */
async function passkeyAssertionOptions(db: DbOrTx, { userId, challenge }: { userId: string; challenge: string }) {
  const passkeys = await db
    .select({ credentialId: authFactors.credentialId, transports: authFactors.transports })
    .from(authFactors)
    .where(and(eq(authFactors.userId, userId), eq(authFactors.kind, "passkey")));
  if (passkeys.length === 0) throw new AppError("PRECONDITION_FAILED", NO_PASSKEY);
  return generateAuthenticationOptions({
    rpID: relyingParty().id,
    challenge: new Uint8Array(Buffer.from(challenge, "base64url")),
    timeout: CHALLENGE_TTL_MS,
    userVerification: "required",
    allowCredentials: passkeys.map((p) => ({
      id: p.credentialId!,
      transports: (p.transports ?? []) as AuthenticatorTransport[],
    })),
  });
}

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
