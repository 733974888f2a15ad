import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import { hashPassword, verifyPassword } from "@/server/auth/password";
import type { UserActor } from "@/server/auth/actor";
import { checkSignInAllowed, describeWait, lockSignInKey, recordSignInFailure } from "@/server/auth/sign-in-limiter";
import { AppError } from "@/server/errors";
import type { TChangePasswordInput } from "@/server/users/users.schema";

/**
 * Replaces the viewer's password. Wrong current passwords count against the same limit as failed
 * sign-ins, so a borrowed session cannot be used to guess it. Every session signed in before now
 * ends, including this one. `ip` is the caller's, for that limit.
 */
export async function changeOwnPassword(db: Database, viewer: UserActor, input: TChangePasswordInput & { ip: string }) {
  const who = { email: viewer.email, ip: input.ip };
  const isChanged = await db.transaction(async (tx) => {
    await lockSignInKey(tx, viewer.email);
    const gate = await checkSignInAllowed(tx, who);
    if (!gate.allowed)
      throw new AppError(
        "TOO_MANY_REQUESTS",
        `Too many wrong passwords. Wait ${describeWait(gate.retryAfterMs)} before trying again.`,
      );
    const [user] = await tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, viewer.id));
    if (!user) throw new AppError("NOT_FOUND", "Your account no longer exists.");
    if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
      await recordSignInFailure(tx, who);
      return false;
    }
    await tx
      .update(users)
      .set({
        passwordHash: await hashPassword(input.newPassword),
        mustChangePassword: false,
        passwordChangedAt: new Date(),
      })
      .where(eq(users.id, viewer.id));
    await recordAudit(tx, {
      actor: viewer,
      action: "user.password_changed",
      subject: `user:${viewer.email}`,
    });
    return true;
  });
  // Raised after the commit so the recorded failure is kept.
  if (!isChanged) throw AppError.field("BAD_REQUEST", "currentPassword", "That is not your current password");
}
