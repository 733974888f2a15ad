import { and, eq } from "drizzle-orm";
import { generateAuthenticationOptions, type AuthenticatorTransport } from "@simplewebauthn/server";
import type { DbOrTx } from "@/db/client";
import { authFactors } from "@/db/schema";
import { AppError } from "@/server/errors";
import { challengeOf, verifyAssertion } from "./assertions";
import { CHALLENGE_TTL_MS } from "./challenges";
import type { TPasskeyAssertionInput } from "./passkeys.schema";
import { describePublicKey } from "./public-key";
import { relyingParty } from "./relying-party";

export const NO_PASSKEY =
  "There is no passkey on your account. Use your authenticator app, or add a passkey on your account page.";

/**
 * Options for the browser to sign `challenge` (base64url) with one of `userId`'s passkeys, user
 * verification required. Refused when the user has none.
 */
export async function passkeyAssertionOptions(
  db: DbOrTx,
  { userId, challenge }: { userId: string; challenge: string },
) {
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

export type PasskeySignature = {
  credentialId: string;
  /** The signing key as SubjectPublicKeyInfo PEM: `openssl` or WebCrypto can check the signature with it. */
  publicKeyPem: string;
  /** SHA-256 of the key's SPKI DER, "3F:A0:…", as the account page shows it. */
  fingerprint: string;
  /** What was signed, for keeping as evidence: signature over authenticatorData ‖ SHA-256(clientDataJSON). */
  authenticatorData: string;
  clientDataJSON: string;
  signature: string;
};

/**
 * Checks that `response` is `userId`'s passkey signing exactly `challenge` (base64url), a value the
 * caller chose (a hash of what is being approved, say) on our origin with the person verified. The
 * caller makes the challenge single-use: issue it with `issueChallenge` and spend it with
 * `consumeChallenge` (purpose "approval_signature") before calling this.
 */
export async function verifyPasskeySignature(
  db: DbOrTx,
  { userId, challenge, response }: { userId: string; challenge: string; response: TPasskeyAssertionInput["response"] },
): Promise<PasskeySignature> {
  if (challengeOf(response) !== challenge)
    throw new AppError("UNAUTHORIZED", "This passkey signature is for something else. Sign again.");
  const verified = await verifyAssertion(db, { response, expectedChallenge: challenge, userId });
  return {
    credentialId: verified.credentialId,
    ...describePublicKey(verified.publicKey),
    authenticatorData: response.response.authenticatorData,
    clientDataJSON: response.response.clientDataJSON,
    signature: response.response.signature,
  };
}
