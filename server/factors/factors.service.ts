import { and, asc, count, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { authFactors, recoveryCodes, users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import type { Viewer } from "@/server/auth/permissions";
import { isSecondFactorRequired, usableFactor } from "@/server/auth/second-factor";
import { endSessions } from "@/server/auth/sessions";
import { AppError } from "@/server/errors";
import { countUnusedRecoveryCodes, replaceRecoveryCodes } from "./recovery-codes";
import type { TFactorRef } from "./factors.schema";

/** The viewer's second factors for their security page, how many recovery codes are left, and whether their roles need one. */
export async function listOwnFactors(db: Database, viewer: Viewer) {
  const factors = await db
    .select({
      id: authFactors.id,
      kind: authFactors.kind,
      label: authFactors.label,
      createdAt: authFactors.createdAt,
      lastUsedAt: authFactors.lastUsedAt,
    })
    .from(authFactors)
    .where(and(eq(authFactors.userId, viewer.id), usableFactor))
    .orderBy(asc(authFactors.createdAt));
  return {
    factors,
    recoveryCodesLeft: await countUnusedRecoveryCodes(db, viewer.id),
    isRequired: isSecondFactorRequired(viewer.grants),
  };
}

/**
 * Removes one of the viewer's factors (behind a step-up). The last one cannot go while the
 * viewer's roles require a second factor; once none is left, the recovery codes go too.
 */
export async function removeOwnFactor(db: Database, viewer: Viewer, { factorId }: TFactorRef) {
  return db.transaction(async (tx) => {
    const [removed] = await tx
      .delete(authFactors)
      .where(and(eq(authFactors.id, factorId), eq(authFactors.userId, viewer.id)))
      .returning({ kind: authFactors.kind, label: authFactors.label });
    if (!removed) throw new AppError("NOT_FOUND", "No such second factor on your account.");
    const [left] = await tx
      .select({ n: count() })
      .from(authFactors)
      .where(and(eq(authFactors.userId, viewer.id), usableFactor));
    if (!left?.n) {
      if (isSecondFactorRequired(viewer.grants))
        throw new AppError(
          "PRECONDITION_FAILED",
          "Your role needs a second factor: add another one before you remove your last.",
        );
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, viewer.id));
    }
    await recordAudit(tx, {
      actor: viewer,
      action: "factor.removed",
      subject: `user:${viewer.email}`,
      details: { kind: removed.kind, label: removed.label },
    });
    return { removed: true };
  });
}

/** Ten new recovery codes (behind a step-up), shown once; the old ones stop working. */
export async function regenerateRecoveryCodes(db: Database, viewer: Viewer) {
  return db.transaction(async (tx) => {
    const [has] = await tx
      .select({ n: count() })
      .from(authFactors)
      .where(and(eq(authFactors.userId, viewer.id), usableFactor));
    if (!has?.n)
      throw new AppError("PRECONDITION_FAILED", "Set up a second factor first; recovery codes come with it.");
    const codes = await replaceRecoveryCodes(tx, viewer.id);
    await recordAudit(tx, { actor: viewer, action: "factor.recovery_codes_replaced", subject: `user:${viewer.email}` });
    return { recoveryCodes: codes };
  });
}

/**
 * An admin's reset of a person's second factors, for a lost phone: every factor and recovery code
 * goes, every session of theirs ends (`factors_reset`), and they set one up again at next sign-in.
 */
export async function resetUserFactors(db: Database, actor: UserActor, { userId }: { userId: string }) {
  if (userId === actor.id)
    throw new AppError(
      "PRECONDITION_FAILED",
      "To change your own second factors, use Account security; another admin can reset them for you.",
    );
  return db.transaction(async (tx) => {
    const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
    if (!user) throw new AppError("NOT_FOUND", "No user with that id.");
    const factors = await tx
      .delete(authFactors)
      .where(eq(authFactors.userId, userId))
      .returning({ kind: authFactors.kind });
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
    const sessions = await endSessions(tx, { userId, reason: "factors_reset" });
    await recordAudit(tx, {
      actor,
      action: "user.factors_reset",
      subject: `user:${user.email}`,
      details: { factors: factors.length, sessions },
    });
    return { factorsRemoved: factors.length, sessionsEnded: sessions };
  });
}
