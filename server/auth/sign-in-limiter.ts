import { and, count, eq, gte, inArray, lt, min, sql } from "drizzle-orm";
import { UNKNOWN_IP } from "./client-ip";
import type { DbOrTx, Tx } from "@/db/client";
import { signInFailures } from "@/db/schema";
import { getHubConfig } from "@/server/config";

/**
 * Failed sign-ins are limited per email (guessing one account) and per IP (spraying many).
 * The IP limit is looser because a whole Trust often shares one egress address.
 * State lives in PostgreSQL so it holds across restarts and portal processes. The limits are
 * read from the checked configuration when used, so importing this module never fails.
 */
export const SIGN_IN_LIMITS = {
  windowMs: 15 * 60_000,
  get maxPerEmail() {
    return getHubConfig().FLIP_SIGNIN_MAX_PER_EMAIL;
  },
  get maxPerIp() {
    return getHubConfig().FLIP_SIGNIN_MAX_PER_IP;
  },
};

const emailKey = (email: string) => `email:${email.trim().toLowerCase()}`;
const ipKey = (ip: string) => `ip:${ip}`;

export type SignInGate = { allowed: true } | { allowed: false; retryAfterMs: number };

export async function checkSignInAllowed(
  db: DbOrTx,
  who: { email: string; ip: string },
  now = new Date(),
): Promise<SignInGate> {
  const since = new Date(now.getTime() - SIGN_IN_LIMITS.windowMs);
  // Without a known client address the IP limit would put every user in one bucket; the email limit still holds.
  const keys = who.ip === UNKNOWN_IP ? [emailKey(who.email)] : [emailKey(who.email), ipKey(who.ip)];
  const rows = await db
    .select({ key: signInFailures.key, failures: count(), oldest: min(signInFailures.at) })
    .from(signInFailures)
    .where(and(inArray(signInFailures.key, keys), gte(signInFailures.at, since)))
    .groupBy(signInFailures.key);
  let retryAfterMs = 0;
  for (const row of rows) {
    const limit = row.key.startsWith("email:") ? SIGN_IN_LIMITS.maxPerEmail : SIGN_IN_LIMITS.maxPerIp;
    if (row.failures >= limit && row.oldest) {
      retryAfterMs = Math.max(retryAfterMs, row.oldest.getTime() + SIGN_IN_LIMITS.windowMs - now.getTime());
    }
  }
  return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : { allowed: true };
}

export async function recordSignInFailure(db: DbOrTx, who: { email: string; ip: string }): Promise<void> {
  const cutoff = new Date(Date.now() - SIGN_IN_LIMITS.windowMs);
  await db.delete(signInFailures).where(lt(signInFailures.at, cutoff));
  await db
    .insert(signInFailures)
    .values(
      who.ip === UNKNOWN_IP ? [{ key: emailKey(who.email) }] : [{ key: emailKey(who.email) }, { key: ipKey(who.ip) }],
    );
}

/**
 * Serialises password checks for one email until the caller's transaction ends, so concurrent
 * guesses cannot all slip past the limit while the first ones are still being verified.
 */
export async function lockSignInKey(tx: Tx, email: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${emailKey(email)}, 0))`);
}

export async function clearSignInFailures(db: DbOrTx, email: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.key, emailKey(email)));
}

export function describeWait(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes <= 1 ? "1 minute" : `${minutes} minutes`;
}
