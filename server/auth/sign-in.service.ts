import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { AppError } from "@/server/errors";
import { ZSignInInput } from "@/server/users/users.schema";
import { burnPasswordCheck, verifyPassword } from "./password";
import { metrics } from "@/server/observability/metrics";
import { describeWait, forgiveSignInAttempt, reserveSignInAttempt } from "./sign-in-limiter";

const WRONG_CREDENTIALS = "That email and password do not match an account.";

/**
 * Checks a password sign-in. The limiter counts the attempt before the password is checked, so a
 * locked-out caller learns nothing from further guesses and concurrent guesses cannot pass a
 * limit together; unknown emails cost the same time as wrong passwords. The password hash runs
 * outside any transaction (it holds no pooled connection) and within the process's hash slots.
 */
export async function signInWithPassword(db: Database, credentials: unknown, ip: string) {
  const parsed = ZSignInInput.safeParse(credentials);
  if (!parsed.success) throw new AppError("BAD_REQUEST", "Enter your email address and password.");
  const { email, password } = parsed.data;
  const who = { email, ip };

  const gate = await reserveSignInAttempt(db, who);
  if (!gate.allowed) {
    metrics.signInFailures.inc({ reason: "rate_limited" });
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Too many failed sign-in attempts. Wait ${describeWait(gate.retryAfterMs)} before trying again.`,
    );
  }

  const [user] = await db.select().from(users).where(eq(users.email, email));
  const isValid = user ? await verifyPassword(user.passwordHash, password) : (await burnPasswordCheck(password), false);
  if (!user || !isValid) {
    metrics.signInFailures.inc({ reason: "wrong_credentials" });
    throw new AppError("UNAUTHORIZED", WRONG_CREDENTIALS);
  }
  if (user.disabled) {
    await forgiveSignInAttempt(db, who, gate.attempt);
    metrics.signInFailures.inc({ reason: "disabled" });
    throw new AppError("FORBIDDEN", "This account is disabled. Ask a platform admin to enable it.");
  }

  await db.transaction(async (tx) => {
    await forgiveSignInAttempt(tx, who, gate.attempt);
    await recordAudit(tx, {
      actor: { id: user.id, email: user.email },
      action: "auth.signed_in",
      subject: `user:${user.email}`,
    });
  });
  return { id: user.id, email: user.email, name: user.name };
}
