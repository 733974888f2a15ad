import { and, count, eq, gte, lt, min, sql } from "drizzle-orm";
import type { Database, DbOrTx } from "@/db/client";
import { signInFailures } from "@/db/schema";
import { describeWait } from "@/server/auth/sign-in-limiter";
import { AppError } from "@/server/errors";

/**
 * Second-factor codes are limited per account, as passwords are per account and source
 * (server/auth/sign-in-limiter.ts, in the same table): an attempt is counted before the code is
 * checked, in one short transaction serialised per account, and forgiven when the code is right.
 * Five wrong codes in 15 minutes and the account waits out the window: a six-digit code cannot be
 * guessed by someone who has only the password.
 */
const WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 5;

const keyOf = (userId: string) => `factor:${userId}`;

/** Counts this attempt as a failure unless the account is already at its limit, which is refused. */
export async function reserveFactorAttempt(db: Database, userId: string): Promise<{ attemptId: string }> {
  const key = keyOf(userId);
  const gate = await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
    const since = new Date(Date.now() - WINDOW_MS);
    const [row] = await tx
      .select({ failures: count(), oldest: min(signInFailures.at) })
      .from(signInFailures)
      .where(and(eq(signInFailures.key, key), gte(signInFailures.at, since)));
    if (row && row.failures >= MAX_FAILURES && row.oldest)
      return { allowed: false as const, retryAfterMs: row.oldest.getTime() + WINDOW_MS - Date.now() };
    await tx.delete(signInFailures).where(and(eq(signInFailures.key, key), lt(signInFailures.at, since)));
    const [inserted] = await tx.insert(signInFailures).values({ key }).returning({ id: signInFailures.id });
    return { allowed: true as const, attemptId: inserted!.id };
  });
  if (!gate.allowed)
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Too many wrong codes. Wait ${describeWait(gate.retryAfterMs)} before trying again.`,
    );
  return { attemptId: gate.attemptId };
}

/** A right code: the account's earlier wrong codes no longer count. */
export async function forgiveFactorAttempts(db: DbOrTx, userId: string): Promise<void> {
  await db.delete(signInFailures).where(eq(signInFailures.key, keyOf(userId)));
}
