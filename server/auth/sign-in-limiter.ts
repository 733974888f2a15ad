import { and, count, eq, gte, inArray, lt, min } from "drizzle-orm";
import type { Database } from "@/db/client";
import { signInFailures } from "@/db/schema";

/**
 * Failed sign-ins are limited per email (guessing one account) and per IP (spraying many).
 * The IP limit is looser because a whole Trust often shares one egress address.
 * State lives in PostgreSQL so it holds across restarts and portal processes.
 */
export const SIGN_IN_LIMITS = {
  windowMs: 15 * 60_000,
  maxPerEmail: Number(process.env.FLIP_SIGNIN_MAX_PER_EMAIL ?? 5),
  maxPerIp: Number(process.env.FLIP_SIGNIN_MAX_PER_IP ?? 30),
};

const emailKey = (email: string) => `email:${email.trim().toLowerCase()}`;
const ipKey = (ip: string) => `ip:${ip}`;

export type SignInGate = { allowed: true } | { allowed: false; retryAfterMs: number };

export async function checkSignInAllowed(db: Database, who: { email: string; ip: string }, now = new Date()): Promise<SignInGate> {
  const since = new Date(now.getTime() - SIGN_IN_LIMITS.windowMs);
  const keys = [emailKey(who.email), ipKey(who.ip)];
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

export async function recordSignInFailure(db: Database, who: { email: string; ip: string }): Promise<void> {
  const cutoff = new Date(Date.now() - SIGN_IN_LIMITS.windowMs);
  await db.transaction(async (tx) => {
    await tx.delete(signInFailures).where(lt(signInFailures.at, cutoff));
    await tx.insert(signInFailures).values([{ key: emailKey(who.email) }, { key: ipKey(who.ip) }]);
  });
}

export async function clearSignInFailures(db: Database, email: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.key, emailKey(email)));
}

export function describeWait(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes <= 1 ? "1 minute" : `${minutes} minutes`;
}
