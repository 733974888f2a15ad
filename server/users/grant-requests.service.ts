import { and, desc, eq, gte, inArray, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Database, Tx } from "@/db/client";
import { auditEvents, roleGrantRequests, roleGrants, sites, users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { AppError, isUniqueViolation } from "@/server/errors";

/**
 * Approver grants take two admins: one asks (`requestApproverGrant`, called by `grantRole`), a
 * different admin confirms. Neither may be the person who would become the approver. Each step is
 * audited, and the site's existing approvers see both (`listApproverChanges`, on their inbox).
 */

export async function requestApproverGrant(
  tx: Tx,
  actor: UserActor,
  input: { userId: string; email: string; siteId: string; siteCode: string },
) {
  const [request] = await tx
    .insert(roleGrantRequests)
    .values({ userId: input.userId, role: "approver", siteId: input.siteId, requestedBy: actor.id })
    .returning();
  await recordAudit(tx, {
    actor,
    action: "role.grant_requested",
    subject: `user:${input.email}`,
    details: { role: "approver", site: input.siteCode },
  });
  return request!;
}

const requester = alias(users, "requester");

/** Pending approver grants for one user, for the admin's user page. */
export function listGrantRequests(db: Database, { userId }: { userId: string }) {
  return db
    .select({
      id: roleGrantRequests.id,
      role: roleGrantRequests.role,
      siteId: roleGrantRequests.siteId,
      siteCode: sites.code,
      siteName: sites.name,
      requestedBy: { id: requester.id, name: requester.name, email: requester.email },
      requestedAt: roleGrantRequests.requestedAt,
    })
    .from(roleGrantRequests)
    .innerJoin(sites, eq(sites.id, roleGrantRequests.siteId))
    .innerJoin(requester, eq(requester.id, roleGrantRequests.requestedBy))
    .where(eq(roleGrantRequests.userId, userId))
    .orderBy(desc(roleGrantRequests.requestedAt));
}

/** A second admin turns a request into the grant. */
export async function confirmGrantRequest(db: Database, actor: UserActor, { requestId }: { requestId: string }) {
  return db
    .transaction(async (tx) => {
      const [request] = await tx
        .select({
          userId: roleGrantRequests.userId,
          role: roleGrantRequests.role,
          siteId: roleGrantRequests.siteId,
          requestedBy: roleGrantRequests.requestedBy,
          email: users.email,
          siteCode: sites.code,
        })
        .from(roleGrantRequests)
        .innerJoin(users, eq(users.id, roleGrantRequests.userId))
        .innerJoin(sites, eq(sites.id, roleGrantRequests.siteId))
        .where(eq(roleGrantRequests.id, requestId))
        .for("update", { of: roleGrantRequests });
      if (!request) throw new AppError("NOT_FOUND", "That request was already confirmed or cancelled.");
      if (request.requestedBy === actor.id)
        throw new AppError("PRECONDITION_FAILED", "Another admin must confirm an approver grant you asked for.");
      if (request.userId === actor.id)
        throw new AppError("PRECONDITION_FAILED", "You cannot confirm a role for yourself. Ask another admin.");
      await tx.delete(roleGrantRequests).where(eq(roleGrantRequests.id, requestId));
      const [grant] = await tx
        .insert(roleGrants)
        .values({ userId: request.userId, role: request.role, siteId: request.siteId, grantedBy: actor.id })
        .returning();
      await recordAudit(tx, {
        actor,
        action: "role.granted",
        subject: `user:${request.email}`,
        details: { role: request.role, site: request.siteCode, requestedBy: request.requestedBy },
      });
      return grant!;
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error, "role_grants_user_role_site_key"))
        throw new AppError("CONFLICT", "This user already holds that role.");
      throw error;
    });
}

/** Either admin withdraws a request that should not go ahead. */
export async function cancelGrantRequest(db: Database, actor: UserActor, { requestId }: { requestId: string }) {
  await db.transaction(async (tx) => {
    const [request] = await tx
      .delete(roleGrantRequests)
      .where(eq(roleGrantRequests.id, requestId))
      .returning({ userId: roleGrantRequests.userId, siteId: roleGrantRequests.siteId });
    if (!request) throw new AppError("NOT_FOUND", "That request was already confirmed or cancelled.");
    const [who] = await tx.select({ email: users.email }).from(users).where(eq(users.id, request.userId));
    const [site] = await tx.select({ code: sites.code }).from(sites).where(eq(sites.id, request.siteId));
    await recordAudit(tx, {
      actor,
      action: "role.grant_cancelled",
      subject: `user:${who!.email}`,
      details: { role: "approver", site: site!.code },
    });
  });
}

const ANNOUNCED_FOR_DAYS = 30;

/**
 * What a site's approvers are told about who else may decide for their Trust: approver grants
 * waiting for a second admin, and approver grants and removals at the site in the last 30 days.
 */
export async function listApproverChanges(db: Database, { siteId }: { siteId: string }) {
  const [site] = await db.select({ code: sites.code }).from(sites).where(eq(sites.id, siteId));
  if (!site) throw new AppError("NOT_FOUND", "No site with that id.");
  const candidate = alias(users, "candidate");
  const pending = await db
    .select({
      id: roleGrantRequests.id,
      name: candidate.name,
      email: candidate.email,
      requestedBy: requester.email,
      requestedAt: roleGrantRequests.requestedAt,
    })
    .from(roleGrantRequests)
    .innerJoin(candidate, eq(candidate.id, roleGrantRequests.userId))
    .innerJoin(requester, eq(requester.id, roleGrantRequests.requestedBy))
    .where(eq(roleGrantRequests.siteId, siteId))
    .orderBy(desc(roleGrantRequests.requestedAt));
  const since = new Date(Date.now() - ANNOUNCED_FOR_DAYS * 24 * 60 * 60_000);
  const recent = await db
    .select({
      seq: auditEvents.seq,
      action: auditEvents.action,
      subject: auditEvents.subject,
      by: auditEvents.actorLabel,
      at: auditEvents.at,
    })
    .from(auditEvents)
    .where(
      and(
        inArray(auditEvents.action, ["role.granted", "role.revoked"]),
        gte(auditEvents.at, since),
        sql`${auditEvents.details}->>'role' = 'approver' AND ${auditEvents.details}->>'site' = ${site.code}`,
      ),
    )
    .orderBy(desc(auditEvents.seq));
  return {
    pending,
    recent: recent.map((e) => ({
      seq: e.seq,
      change: e.action === "role.granted" ? ("granted" as const) : ("revoked" as const),
      email: e.subject.replace(/^user:/, ""),
      by: e.by,
      at: e.at,
    })),
  };
}
