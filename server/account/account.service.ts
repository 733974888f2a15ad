import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { users } from "@/db/schema";
import { userActor } from "@/server/audit/actor";
import { recordAudit } from "@/server/audit/audit.service";
import { hashPassword, verifyPassword } from "@/server/auth/password";
import type { Viewer } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import type { TChangePasswordInput } from "@/server/users/users.schema";

/** Replaces the viewer's password. Every session signed in before now ends, including this one. */
export async function changeOwnPassword(db: Database, viewer: Viewer, input: TChangePasswordInput) {
  const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, viewer.id));
  if (!user) throw new AppError("NOT_FOUND", "Your account no longer exists.");
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw AppError.field("BAD_REQUEST", "currentPassword", "That is not your current password");
  }
  const passwordHash = await hashPassword(input.newPassword);
  await db.transaction(async (tx) => {
    await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: false, passwordChangedAt: new Date() })
      .where(eq(users.id, viewer.id));
    await recordAudit(tx, { actor: userActor(viewer), action: "user.password_changed", subject: `user:${viewer.email}` });
  });
}
