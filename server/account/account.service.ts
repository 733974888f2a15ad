import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { hashPassword, verifyPassword } from "@/server/auth/password";
import type { UserActor } from "@/server/auth/actor";
import { endSessions } from "@/server/auth/sessions";
import { describeWait, forgiveSignInAttempt, reserveSignInAttempt } from "@/server/auth/sign-in-limiter";
import { AppError } from "@/server/errors";
import type { TChangePasswordInput } from "@/server/users/users.schema";

/**
 * Replaces the viewer's password. Wrong current passwords count against the same limit as failed
 * sign-ins, so a borrowed session cannot be used to guess it. Every session signed in before now
 * ends, including this one. `ip` is the caller's, for that limit.
 */
export async function changeOwnPassword(db: Database, viewer: UserActor, input: TChangePasswordInput & { ip: string }) {
  const who = { email: viewer.email, ip: input.ip };
  const gate = await reserveSignInAttempt(db, who);
  if (!gate.allowed)
    throw new AppError(
      "TOO_MANY_REQUESTS",
      `Too many wrong passwords. Wait ${describeWait(gate.retryAfterMs)} before trying again.`,
    );
  const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, viewer.id));
  if (!user) throw new AppError("NOT_FOUND", "Your account no longer exists.");
  // Both hashes run outside the transaction, so no pooled connection waits on them.
  if (!(await verifyPassword(user.passwordHash, input.currentPassword)))
    throw AppError.field("BAD_REQUEST", "currentPassword", "That is not your current password");
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await forgiveSignInAttempt(tx, who, gate.attempt);
    await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: false, passwordChangedAt: new Date() })
      .where(eq(users.id, viewer.id));
    await endSessions(tx, { userId: viewer.id, reason: "password_changed" });
    await recordAudit(tx, {
      actor: viewer,
      action: "user.password_changed",
      subject: `user:${viewer.email}`,
    });
  });
}
