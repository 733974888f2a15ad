import { and, asc, count, eq, ilike, inArray, or } from "drizzle-orm";
import type { Database } from "@/db/client";
import { authFactors, roleGrants, sites, users } from "@/db/schema";
import { escapeLike, recordAudit } from "@/server/audit/audit.service";
import { generateTemporaryPassword, hashPassword } from "@/server/auth/password";
import type { UserActor } from "@/server/auth/actor";
import { endSessions } from "@/server/auth/sessions";
import { usableFactor } from "@/server/auth/second-factor";
import { AppError, isUniqueViolation } from "@/server/errors";
import { requestApproverGrant } from "./grant-requests.service";
import type { TGrantRoleInput, TSetDisabledInput, TUserCreateInput, TUserListInput } from "./users.schema";

const userColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  disabled: users.disabled,
  mustChangePassword: users.mustChangePassword,
  createdAt: users.createdAt,
};

async function grantsFor(db: Database, userIds: string[]) {
  if (userIds.length === 0) return [];
  return db
    .select({
      id: roleGrants.id,
      userId: roleGrants.userId,
      role: roleGrants.role,
      siteId: roleGrants.siteId,
      siteCode: sites.code,
      siteName: sites.name,
      grantedAt: roleGrants.grantedAt,
    })
    .from(roleGrants)
    .leftJoin(sites, eq(sites.id, roleGrants.siteId))
    .where(inArray(roleGrants.userId, userIds))
    .orderBy(asc(roleGrants.grantedAt));
}

export async function listUsers(db: Database, input: TUserListInput) {
  const term = input.search ? `%${escapeLike(input.search)}%` : undefined;
  const where = term ? or(ilike(users.email, term), ilike(users.name, term)) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select(userColumns)
      .from(users)
      .where(where)
      .orderBy(asc(users.email))
      .limit(input.pageSize)
      .offset((input.page - 1) * input.pageSize),
    db.select({ value: count() }).from(users).where(where),
  ]);
  const grants = await grantsFor(
    db,
    rows.map((r) => r.id),
  );
  return {
    users: rows.map((u) => ({ ...u, grants: grants.filter((g) => g.userId === u.id) })),
    total: total?.value ?? 0,
    page: input.page,
    pageSize: input.pageSize,
  };
}

export async function getUser(db: Database, { userId }: { userId: string }) {
  const [user] = await db.select(userColumns).from(users).where(eq(users.id, userId));
  if (!user) throw new AppError("NOT_FOUND", "No user with that id.");
  const [factors] = await db
    .select({ n: count() })
    .from(authFactors)
    .where(and(eq(authFactors.userId, userId), usableFactor));
  return { ...user, grants: await grantsFor(db, [user.id]), secondFactors: factors?.n ?? 0 };
}

/** Creates an account with a one-time temporary password, returned once and stored only as a hash. */
export async function createUser(db: Database, actor: UserActor, input: TUserCreateInput) {
  const temporaryPassword = generateTemporaryPassword();
  const passwordHash = await hashPassword(temporaryPassword);
  try {
    const user = await db.transaction(async (tx) => {
      const [created] = await tx
        .insert(users)
        .values({ email: input.email, name: input.name, passwordHash, mustChangePassword: true })
        .returning(userColumns);
      await recordAudit(tx, {
        actor,
        action: "user.created",
        subject: `user:${created!.email}`,
        details: { name: created!.name },
      });
      return created!;
    });
    return { user, temporaryPassword };
  } catch (error) {
    if (isUniqueViolation(error, "users_email_key"))
      throw AppError.field("CONFLICT", "email", "A user with this email already exists");
    throw error;
  }
}

/**
 * Grants a role, except to the admin themselves. An approver grant only becomes a request that a
 * second admin confirms (grant-requests.service.ts): approvers decide for a Trust.
 */
export async function grantRole(db: Database, actor: UserActor, input: TGrantRoleInput) {
  if (input.userId === actor.id)
    throw new AppError("PRECONDITION_FAILED", "You cannot grant a role to yourself. Ask another admin.");
  return db
    .transaction(async (tx) => {
      const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, input.userId));
      if (!user) throw new AppError("NOT_FOUND", "No user with that id.");
      let siteCode: string | null = null;
      if (input.siteId) {
        const [site] = await tx.select({ code: sites.code }).from(sites).where(eq(sites.id, input.siteId));
        if (!site) throw AppError.field("NOT_FOUND", "siteId", "That site does not exist");
        siteCode = site.code;
      }
      if (input.role === "approver" && input.siteId && siteCode) {
        const [held] = await tx
          .select({ id: roleGrants.id })
          .from(roleGrants)
          .where(
            and(
              eq(roleGrants.userId, input.userId),
              eq(roleGrants.role, "approver"),
              eq(roleGrants.siteId, input.siteId),
            ),
          );
        if (held) throw AppError.field("CONFLICT", "role", "This user already holds that role");
        const request = await requestApproverGrant(tx, actor, {
          userId: input.userId,
          email: user.email,
          siteId: input.siteId,
          siteCode,
        });
        return { status: "awaiting_confirmation" as const, requestId: request.id };
      }
      const [grant] = await tx
        .insert(roleGrants)
        .values({ userId: input.userId, role: input.role, siteId: input.siteId ?? null, grantedBy: actor.id })
        .returning();
      await recordAudit(tx, {
        actor,
        action: "role.granted",
        subject: `user:${user.email}`,
        details: { role: input.role, site: siteCode },
      });
      return { status: "granted" as const, grantId: grant!.id };
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error, "role_grants_user_role_site_key")) {
        throw AppError.field("CONFLICT", "role", "This user already holds that role");
      }
      if (isUniqueViolation(error, "role_grant_requests_user_role_site_key")) {
        throw AppError.field("CONFLICT", "role", "This grant is already waiting for a second admin");
      }
      throw error;
    });
}

export async function revokeRole(db: Database, actor: UserActor, { grantId }: { grantId: string }) {
  return db.transaction(async (tx) => {
    const [grant] = await tx
      .select({ userId: roleGrants.userId, role: roleGrants.role, email: users.email, siteCode: sites.code })
      .from(roleGrants)
      .innerJoin(users, eq(users.id, roleGrants.userId))
      .leftJoin(sites, eq(sites.id, roleGrants.siteId))
      .where(eq(roleGrants.id, grantId));
    if (!grant) throw new AppError("NOT_FOUND", "That role grant no longer exists.");
    if (grant.userId === actor.id && grant.role === "admin") {
      throw new AppError("PRECONDITION_FAILED", "You cannot remove your own admin role. Ask another admin to do it.");
    }
    await tx.delete(roleGrants).where(eq(roleGrants.id, grantId));
    await recordAudit(tx, {
      actor,
      action: "role.revoked",
      subject: `user:${grant.email}`,
      details: { role: grant.role, site: grant.siteCode },
    });
  });
}

export async function setUserDisabled(db: Database, actor: UserActor, input: TSetDisabledInput) {
  if (input.userId === actor.id && input.disabled) {
    throw new AppError("PRECONDITION_FAILED", "You cannot disable your own account.");
  }
  return db.transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set(input.disabled ? { disabled: true, sessionsRevokedAt: new Date() } : { disabled: false })
      .where(and(eq(users.id, input.userId), eq(users.disabled, !input.disabled)))
      .returning({ email: users.email });
    if (!user) {
      const [exists] = await tx.select({ id: users.id }).from(users).where(eq(users.id, input.userId));
      if (!exists) throw new AppError("NOT_FOUND", "No user with that id.");
      return; // Already in the requested state: nothing changed, nothing to audit.
    }
    if (input.disabled) await endSessions(tx, { userId: input.userId, reason: "account_disabled" });
    await recordAudit(tx, {
      actor,
      action: input.disabled ? "user.disabled" : "user.enabled",
      subject: `user:${user.email}`,
    });
  });
}

/** Issues a new temporary password; the user's existing sessions end and they must choose a new one. */
export async function resetUserPassword(db: Database, actor: UserActor, { userId }: { userId: string }) {
  if (userId === actor.id) {
    throw new AppError(
      "PRECONDITION_FAILED",
      "To change your own password, use Change password in your account; a reset would sign you out.",
    );
  }
  const temporaryPassword = generateTemporaryPassword();
  const passwordHash = await hashPassword(temporaryPassword);
  await db.transaction(async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ passwordHash, mustChangePassword: true, passwordChangedAt: new Date() })
      .where(eq(users.id, userId))
      .returning({ email: users.email });
    if (!user) throw new AppError("NOT_FOUND", "No user with that id.");
    await endSessions(tx, { userId, reason: "password_changed" });
    await recordAudit(tx, { actor, action: "user.password_reset", subject: `user:${user.email}` });
  });
  return { temporaryPassword };
}
