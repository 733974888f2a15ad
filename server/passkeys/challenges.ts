import { randomBytes } from "node:crypto";
import { and, eq, gt, isNull, lt, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { authChallenges, type ChallengePurpose } from "@/db/schema";
import { AppError, isUniqueViolation } from "@/server/errors";

/** How long a browser has to answer a WebAuthn challenge (the person finds and unlocks their passkey). */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export const CHALLENGE_SPENT = "This passkey request has expired or was already used. Start again.";

type Binding = { purpose: ChallengePurpose; userId?: string | null; sessionId?: string | null };

const matches = (column: typeof authChallenges.userId | typeof authChallenges.sessionId, value?: string | null): SQL =>
  value ? eq(column, value) : isNull(column);

/**
 * Records a single-use challenge for `purpose`, bound to a user and session where there is one, and
 * returns it (base64url). A caller that signs something of its own (an approval decision) passes its
 * `challenge` (unique: make it cover a nonce); otherwise 32 random bytes. Expired challenges are
 * cleared on the way.
 */
export async function issueChallenge(db: DbOrTx, binding: Binding & { challenge?: string }): Promise<string> {
  const challenge = binding.challenge ?? randomBytes(32).toString("base64url");
  await db.delete(authChallenges).where(lt(authChallenges.expiresAt, new Date()));
  try {
    await db.insert(authChallenges).values({
      purpose: binding.purpose,
      challenge,
      userId: binding.userId ?? null,
      sessionId: binding.sessionId ?? null,
      expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS),
    });
  } catch (error) {
    // Only a caller's own challenge can repeat: a signature must never be reusable for a second request.
    if (isUniqueViolation(error, "auth_challenges_challenge_key"))
      throw new AppError("CONFLICT", "This request was already sent for signing. Reload the page and sign again.");
    throw error;
  }
  return challenge;
}

/**
 * Uses up `challenge`: it must have been issued for this purpose, user and session, be unexpired and
 * unused. One statement, so two answers to the same challenge cannot both pass. Call it before
 * checking the signature, so a challenge is spent whether or not the answer verifies.
 */
export async function consumeChallenge(db: DbOrTx, binding: Binding & { challenge: string }): Promise<void> {
  const used = await db
    .update(authChallenges)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(authChallenges.challenge, binding.challenge),
        eq(authChallenges.purpose, binding.purpose),
        matches(authChallenges.userId, binding.userId),
        matches(authChallenges.sessionId, binding.sessionId),
        isNull(authChallenges.usedAt),
        gt(authChallenges.expiresAt, new Date()),
      ),
    )
    .returning({ id: authChallenges.id });
  if (used.length === 0) throw new AppError("BAD_REQUEST", CHALLENGE_SPENT);
}
