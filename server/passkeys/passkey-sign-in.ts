import { eq } from "drizzle-orm";
import { generateAuthenticationOptions } from "@simplewebauthn/server";
import type { Database } from "@/db/client";
import { authFactors, users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { AppError } from "@/server/errors";
import { metrics } from "@/server/observability/metrics";
import { challengeOf, verifyAssertion } from "./assertions";
import { CHALLENGE_TTL_MS, consumeChallenge, issueChallenge } from "./challenges";
import { ZPasskeyAssertionInput } from "./passkeys.schema";
import { relyingParty } from "./relying-party";

const UNREADABLE = "Your browser sent a passkey answer this portal cannot read. Try again.";

/** Options for a usernameless sign-in: the browser offers any passkey it holds for this site. */
export async function passkeySignInOptions(db: Database) {
  const challenge = await issueChallenge(db, { purpose: "passkey_sign_in" });
  return generateAuthenticationOptions({
    rpID: relyingParty().id,
    challenge: new Uint8Array(Buffer.from(challenge, "base64url")),
    timeout: CHALLENGE_TTL_MS,
    userVerification: "required",
  });
}

function parseCredentials(credentials: unknown) {
  const raw = (credentials as { response?: unknown } | undefined)?.response;
  let response: unknown;
  try {
    response = typeof raw === "string" ? JSON.parse(raw) : undefined;
  } catch {
    response = undefined;
  }
  const parsed = ZPasskeyAssertionInput.safeParse({ response });
  if (!parsed.success) throw new AppError("BAD_REQUEST", UNREADABLE);
  return parsed.data.response;
}

/**
 * Signs in with a discoverable passkey (called by the next-auth "passkey" provider). A user-verified
 * passkey is something the person has and something they know or are, so the session has both
 * factors. Password lockouts do not apply: an attacker's wrong passwords cannot keep the owner of a
 * passkey out. Disabled accounts are refused.
 */
export async function signInWithPasskey(db: Database, credentials: unknown) {
  try {
    const response = parseCredentials(credentials);
    const challenge = challengeOf(response);
    await consumeChallenge(db, { purpose: "passkey_sign_in", challenge });
    return await db.transaction(async (tx) => {
      const { userId, factorId } = await verifyAssertion(tx, { response, expectedChallenge: challenge });
      const [user] = await tx.select().from(users).where(eq(users.id, userId));
      if (!user || user.disabled) {
        metrics.signInFailures.inc({ reason: "disabled" });
        throw new AppError("FORBIDDEN", "This account is disabled. Ask a platform admin to enable it.");
      }
      const [factor] = await tx
        .select({ label: authFactors.label })
        .from(authFactors)
        .where(eq(authFactors.id, factorId));
      await recordAudit(tx, {
        actor: { id: user.id, email: user.email },
        action: "auth.signed_in",
        subject: `user:${user.email}`,
        details: { method: "passkey", passkey: factor?.label ?? null },
      });
      return { id: user.id, email: user.email, name: user.name };
    });
  } catch (error) {
    if (error instanceof AppError && error.code !== "FORBIDDEN")
      metrics.signInFailures.inc({ reason: "passkey_refused" });
    throw error;
  }
}
