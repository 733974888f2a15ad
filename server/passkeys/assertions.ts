import { and, eq } from "drizzle-orm";
import {
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
} from "@simplewebauthn/server";
import { decodeClientDataJSON } from "@simplewebauthn/server/helpers";
import type { DbOrTx } from "@/db/client";
import { authFactors } from "@/db/schema";
import { AppError } from "@/server/errors";
import type { TPasskeyAssertionInput } from "./passkeys.schema";
import { relyingParty } from "./relying-party";

type Assertion = TPasskeyAssertionInput["response"];

export const UNKNOWN_PASSKEY = "This passkey is not registered with FLIP Portal. Sign in another way and add it.";
export const NOT_YOUR_PASSKEY = "That passkey does not belong to your account. Use one listed on your account page.";
export const NOT_VERIFIED =
  "Your passkey did not confirm it was you (PIN, fingerprint or face). Try again and unlock it when asked.";
export const COUNTER_WENT_BACK =
  "This passkey's use counter went backwards, as happens when a passkey has been copied. It was refused: remove it from your account and add it again.";
export const WRONG_SITE = "This passkey answer was made for another website and was refused.";
const NOT_ACCEPTED = "Your passkey's answer could not be verified. Try again.";

/** The challenge a browser signed, as its client data states it (checked against our record by the caller). */
export function challengeOf(response: Assertion | { response: { clientDataJSON: string } }): string {
  try {
    return decodeClientDataJSON(response.response.clientDataJSON).challenge;
  } catch {
    throw new AppError("BAD_REQUEST", "Your browser sent a passkey answer this portal cannot read. Try again.");
  }
}

/** The user handle a passkey holds for a user: their id, so a usernameless sign-in names its account. */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, "utf8"));
}

export function refusalOf(error: unknown): AppError {
  const message = error instanceof Error ? error.message : "";
  const code = (error as { code?: string } | null)?.code;
  if (code === "UNEXPECTED_ORIGIN" || code === "UNEXPECTED_RP_ID" || /origin/i.test(message))
    return new AppError("UNAUTHORIZED", WRONG_SITE);
  if (/user verification (was )?required|user (was )?not present|presence was required/i.test(message))
    return new AppError("UNAUTHORIZED", NOT_VERIFIED);
  if (/counter/i.test(message)) return new AppError("UNAUTHORIZED", COUNTER_WENT_BACK);
  return new AppError("UNAUTHORIZED", NOT_ACCEPTED);
}

export type VerifiedAssertion = {
  factorId: string;
  userId: string;
  credentialId: string;
  /** The COSE public key, as registered. */
  publicKey: Buffer;
};

/**
 * Verifies a passkey assertion over `expectedChallenge` (the caller has checked and spent it): the
 * credential is registered (to `userId`, when given), the browser was on our origin and RP id, the
 * person was verified (UV), the signature holds, and the counter moved forward. The new counter and
 * last use are saved; a concurrent use of the same counter value loses.
 */
export async function verifyAssertion(
  db: DbOrTx,
  { response, expectedChallenge, userId }: { response: Assertion; expectedChallenge: string; userId?: string },
): Promise<VerifiedAssertion> {
  const [factor] = await db
    .select()
    .from(authFactors)
    .where(
      and(
        eq(authFactors.credentialId, response.id),
        eq(authFactors.kind, "passkey"),
        userId ? eq(authFactors.userId, userId) : undefined,
      ),
    );
  if (!factor?.credentialId || !factor.publicKey)
    throw new AppError("UNAUTHORIZED", userId ? NOT_YOUR_PASSKEY : UNKNOWN_PASSKEY);
  const handle = response.response.userHandle;
  if (handle && handle !== Buffer.from(userHandleOf(factor.userId)).toString("base64url"))
    throw new AppError("UNAUTHORIZED", NOT_ACCEPTED);

  const rp = relyingParty();
  const previous = factor.signCount ?? 0;
  let result;
  try {
    result = await verifyAuthenticationResponse({
      response: { ...response, clientExtensionResults: {} } as AuthenticationResponseJSON,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: factor.credentialId,
        publicKey: new Uint8Array(factor.publicKey),
        counter: previous,
        transports: (factor.transports ?? []) as AuthenticatorTransport[],
      },
    });
  } catch (error) {
    throw refusalOf(error);
  }
  if (!result.verified) throw new AppError("UNAUTHORIZED", NOT_ACCEPTED);

  const saved = await db
    .update(authFactors)
    .set({ signCount: result.authenticationInfo.newCounter, lastUsedAt: new Date() })
    .where(and(eq(authFactors.id, factor.id), previous ? eq(authFactors.signCount, previous) : undefined))
    .returning({ id: authFactors.id });
  if (saved.length === 0) throw new AppError("UNAUTHORIZED", COUNTER_WENT_BACK);
  return { factorId: factor.id, userId: factor.userId, credentialId: factor.credentialId, publicKey: factor.publicKey };
}
