import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { AppError } from "@/server/errors";
import { ZSignInInput } from "@/server/users/users.schema";
import { burnPasswordCheck, verifyPassword } from "./password";
import { metrics } from "@/server/observability/metrics";
import {
  checkSignInAllowed,
  clearSignInFailures,
  describeWait,
  lockSignInKey,
  recordSignInFailure,
} from "./sign-in-limiter";

const WRONG_CREDENTIALS = "That email and password do not match an account.";

/**
 * Checks a password sign-in. The limiter is consulted before the password, so a locked-out
 * caller learns nothing from further guesses; unknown emails cost the same time as wrong passwords.
 */
export async function signInWithPassword(db: Database, credentials: unknown, ip: string) {
  const parsed = ZSignInInput.safeParse(credentials);
  if (!parsed.success) throw new AppError("BAD_REQUEST", "Enter your email address and password.");
  const { email, password } = parsed.data;

  return db
    .transaction(async (tx) => {
      await lockSignInKey(tx, email);
      const gate = await checkSignInAllowed(tx, { email, ip });
      if (!gate.allowed) {
        metrics.signInFailures.inc({ reason: "rate_limited" });
        throw new AppError(
          "TOO_MANY_REQUESTS",
          `Too many failed sign-in attempts. Wait ${describeWait(gate.retryAfterMs)} before trying again.`,
        );
      }

      const [user] = await tx.select().from(users).where(eq(users.email, email));
      const isValid = user
        ? await verifyPassword(user.passwordHash, password)
        : (await burnPasswordCheck(password), false);
      if (!user || !isValid) {
        await recordSignInFailure(tx, { email, ip });
        metrics.signInFailures.inc({ reason: "wrong_credentials" });
        return null;
      }
      if (user.disabled) {
        metrics.signInFailures.inc({ reason: "disabled" });
        throw new AppError("FORBIDDEN", "This account is disabled. Ask a platform admin to enable it.");
      }

      await clearSignInFailures(tx, email);
      await recordAudit(tx, {
        actor: { id: user.id, email: user.email },
        action: "auth.signed_in",
        subject: `user:${user.email}`,
      });
      return { id: user.id, email: user.email, name: user.name };
    })
    .then((user) => {
      // Thrown only after the commit, so the recorded failure is kept.
      if (!user) throw new AppError("UNAUTHORIZED", WRONG_CREDENTIALS);
      return user;
    });
}
