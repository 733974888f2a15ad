import { and, count, eq, gte, inArray, lt, max, min, or, sql } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { signInFailures } from "@/db/schema";
import { getHubConfig } from "@/server/config";
import { UNKNOWN_IP } from "./client-ip";

/**
 * Failed sign-ins are limited so that guessing is slow but nobody can lock someone else out:
 *
 * - per email *and source address* (`pair:`): after `maxPerEmail` failures that source is refused
 *   for that account for the window. Another source (the real user at their desk) is not.
 * - per source address (`ip:`): `maxPerIp` failures across any emails (spraying). Looser, because a
 *   whole Trust often shares one egress address.
 * - per email across all sources (`email:`): from `EMAIL_DELAY_FROM` failures on, each attempt waits
 *   a delay that doubles per failure up to `EMAIL_DELAY_MAX_MS`. This bounds guessing from many
 *   addresses while the real user waits a minute at most, never the whole window.
 *
 * An attempt is counted *before* the password is checked (`reserveSignInAttempt`, one short
 * transaction) and forgiven after a success, so concurrent guesses cannot slip past a limit and no
 * transaction or pooled connection is held while the password hash runs. State lives in
 * PostgreSQL, so it holds across restarts and portal processes.
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
const EMAIL_DELAY_FROM = 10;
const EMAIL_DELAY_MAX_MS = 60_000;

const normal = (email: string) => email.trim().toLowerCase();
const emailKey = (email: string) => `email:${normal(email)}`;
const pairKey = (email: string, ip: string) => `pair:${normal(email)}|${ip}`;
const ipKey = (ip: string) => `ip:${ip}`;
// Without a known source address the per-IP limit would put every user in one bucket; the others still hold.
const keysOf = ({ email, ip }: Who) =>
  ip === UNKNOWN_IP ? [pairKey(email, ip), emailKey(email)] : [pairKey(email, ip), ipKey(ip), emailKey(email)];

type Who = { email: string; ip: string };
export type SignInGate = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Whether `who` may try a password now, and if not, for how long they must wait. */
export async function checkSignInAllowed(db: DbOrTx, who: Who, now = new Date()): Promise<SignInGate> {
  const since = new Date(now.getTime() - SIGN_IN_LIMITS.windowMs);
  const rows = await db
    .select({
      key: signInFailures.key,
      failures: count(),
      oldest: min(signInFailures.at),
      latest: max(signInFailures.at),
    })
    .from(signInFailures)
    .where(and(inArray(signInFailures.key, keysOf(who)), gte(signInFailures.at, since)))
    .groupBy(signInFailures.key);
  let retryAfterMs = 0;
  for (const row of rows) {
    if (!row.oldest || !row.latest) continue;
    if (row.key.startsWith("email:")) {
      if (row.failures < EMAIL_DELAY_FROM) continue;
      const delay = Math.min(1000 * 2 ** (row.failures - EMAIL_DELAY_FROM), EMAIL_DELAY_MAX_MS);
      retryAfterMs = Math.max(retryAfterMs, row.latest.getTime() + delay - now.getTime());
      continue;
    }
    const limit = row.key.startsWith("pair:") ? SIGN_IN_LIMITS.maxPerEmail : SIGN_IN_LIMITS.maxPerIp;
    if (row.failures >= limit)
      retryAfterMs = Math.max(retryAfterMs, row.oldest.getTime() + SIGN_IN_LIMITS.windowMs - now.getTime());
  }
  return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : { allowed: true };
}

export type SignInAttempt = { ids: string[] };

/**
 * Checks the limits and, when allowed, records the attempt as a failure in the same short
 * transaction (serialised per email by an advisory lock). Call `forgiveSignInAttempt` after a
 * correct password; a wrong one needs nothing more.
 */
export async function reserveSignInAttempt(
  db: Database,
  who: Who,
): Promise<{ allowed: true; attempt: SignInAttempt } | { allowed: false; retryAfterMs: number }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${emailKey(who.email)}, 0))`);
    const gate = await checkSignInAllowed(tx, who);
    if (!gate.allowed) return gate;
    await tx.delete(signInFailures).where(lt(signInFailures.at, new Date(Date.now() - SIGN_IN_LIMITS.windowMs)));
    const rows = await tx
      .insert(signInFailures)
      .values(keysOf(who).map((key) => ({ key })))
      .returning({ id: signInFailures.id });
    return { allowed: true as const, attempt: { ids: rows.map((r) => r.id) } };
  });
}

/** A correct password: this attempt does not count, nor do earlier failures for the account from this source. */
export async function forgiveSignInAttempt(db: DbOrTx, who: Who, attempt: SignInAttempt): Promise<void> {
  await db
    .delete(signInFailures)
    .where(or(inArray(signInFailures.id, attempt.ids), eq(signInFailures.key, pairKey(who.email, who.ip))));
}

export function describeWait(ms: number): string {
  if (ms <= 59_000) {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return seconds === 1 ? "1 second" : `${seconds} seconds`;
  }
  const minutes = Math.ceil(ms / 60_000);
  return minutes <= 1 ? "1 minute" : `${minutes} minutes`;
}
