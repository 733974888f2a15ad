import { and, asc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { projectInvitations, projectMembers, projects, users, type ProjectRole } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { AppError, isUniqueViolation } from "@/server/errors";

/**
 * Owners add people by inviting an email address; the person accepts. The owner's answer is the
 * same whether or not the address has an account (an owner must not learn who is registered, nor
 * anyone's user id), and nobody joins a project without saying yes.
 */
export async function inviteMember(
  db: Database,
  actor: UserActor,
  input: { projectId: string; email: string; role: ProjectRole },
) {
  await db.transaction(async (tx) => {
    const [member] = await tx
      .select({ userId: projectMembers.userId })
      .from(projectMembers)
      .innerJoin(users, eq(users.id, projectMembers.userId))
      .where(and(eq(projectMembers.projectId, input.projectId), eq(users.email, input.email)));
    // The owner already sees the members, so saying so reveals nothing new.
    if (member) throw AppError.field("CONFLICT", "email", "This person is already a member");
    await tx
      .insert(projectInvitations)
      .values({ projectId: input.projectId, email: input.email, role: input.role, invitedBy: actor.id })
      .onConflictDoUpdate({
        target: [projectInvitations.projectId, projectInvitations.email],
        set: { role: input.role, invitedBy: actor.id, invitedAt: new Date() },
      });
    await recordAudit(tx, {
      actor,
      action: "project.member_invited",
      subject: `project:${input.projectId}`,
      details: { email: input.email, role: input.role },
    });
  });
  return { invited: input.email, role: input.role };
}

/** A project's open invitations, for its members page. */
export function listProjectInvitations(db: Database, { projectId }: { projectId: string }) {
  return db
    .select({
      id: projectInvitations.id,
      email: projectInvitations.email,
      role: projectInvitations.role,
      invitedAt: projectInvitations.invitedAt,
    })
    .from(projectInvitations)
    .where(eq(projectInvitations.projectId, projectId))
    .orderBy(asc(projectInvitations.email));
}

export async function cancelInvitation(
  db: Database,
  actor: UserActor,
  { projectId, invitationId }: { projectId: string; invitationId: string },
) {
  await db.transaction(async (tx) => {
    const [gone] = await tx
      .delete(projectInvitations)
      .where(and(eq(projectInvitations.id, invitationId), eq(projectInvitations.projectId, projectId)))
      .returning({ email: projectInvitations.email });
    if (!gone) throw new AppError("NOT_FOUND", "That invitation was already accepted, declined or withdrawn.");
    await recordAudit(tx, {
      actor,
      action: "project.invitation_withdrawn",
      subject: `project:${projectId}`,
      details: { email: gone.email },
    });
  });
}

/** Invitations to the signed-in person's own email address. */
export function listMyInvitations(db: Database, viewer: UserActor) {
  return db
    .select({
      id: projectInvitations.id,
      projectTitle: projects.title,
      role: projectInvitations.role,
      invitedBy: users.name,
      invitedAt: projectInvitations.invitedAt,
    })
    .from(projectInvitations)
    .innerJoin(projects, eq(projects.id, projectInvitations.projectId))
    .leftJoin(users, eq(users.id, projectInvitations.invitedBy))
    .where(eq(projectInvitations.email, viewer.email))
    .orderBy(asc(projectInvitations.invitedAt));
}

/** The invited person answers. Only an invitation to their own email address is theirs to answer. */
export async function answerInvitation(
  db: Database,
  viewer: UserActor,
  { invitationId, accept }: { invitationId: string; accept: boolean },
) {
  return db
    .transaction(async (tx) => {
      const [invitation] = await tx
        .delete(projectInvitations)
        .where(and(eq(projectInvitations.id, invitationId), eq(projectInvitations.email, viewer.email)))
        .returning();
      if (!invitation) throw new AppError("NOT_FOUND", "No invitation with that id for you.");
      if (accept)
        await tx
          .insert(projectMembers)
          .values({ projectId: invitation.projectId, userId: viewer.id, role: invitation.role });
      await recordAudit(tx, {
        actor: viewer,
        action: accept ? "project.member_added" : "project.invitation_declined",
        subject: `project:${invitation.projectId}`,
        details: { member: viewer.email, role: invitation.role },
      });
      return { projectId: invitation.projectId, joined: accept };
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error, "project_members_project_id_user_id_pk"))
        throw new AppError("CONFLICT", "You are already a member of this project.");
      throw error;
    });
}
