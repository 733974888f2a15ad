import { and, asc, count, desc, eq, gt, ilike, inArray, sql } from "drizzle-orm";
import type { Database, DbOrTx, Tx } from "@/db/client";
import { projectMembers, projectRevisions, projects, projectSites, siteApprovals, sites, users } from "@/db/schema";
import { escapeLike, recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { prepared } from "@/server/database/prepared";
import { AppError } from "@/server/errors";
import { hashDefinition } from "@/server/cohorts/cohort-hash";
import { approvedRevisionsBySite } from "./approved-revisions";
import { queueRequestNotices } from "@/server/notifications/approval-notices";
import { listProjectInvitations } from "./invitations.service";
import { MAX_BUNDLE_MODELS, type BundleModel } from "@/protocol/bundle";
import { findBundleModel } from "@/protocol/bundle";
import { hashBundle } from "@/protocol/bundle-hash";
import { initialBundle } from "./bundle";
import { assertTransition } from "./project-status";
import type { Bundle, TProjectCreateInput, TProjectListInput } from "./projects.schema";

export async function createProject(db: Database, actor: UserActor, input: TProjectCreateInput) {
  return db.transaction(async (tx) => {
    const [project] = await tx
      .insert(projects)
      .values({ title: input.title, ethicsReference: input.ethicsReference || null, ownerId: actor.id })
      .returning();
    await tx.insert(projectMembers).values({ projectId: project!.id, userId: actor.id, role: "owner" });
    const revision = await insertRevision(tx, actor, project!.id, 1, initialBundle(input.purpose));
    await tx.update(projects).set({ currentRevisionId: revision.id }).where(eq(projects.id, project!.id));
    await recordAudit(tx, {
      actor,
      action: "project.created",
      subject: `project:${project!.id}`,
      details: { title: input.title },
    });
    return project!;
  });
}

async function insertRevision(tx: Tx, actor: UserActor, projectId: string, number: number, bundle: Bundle) {
  const [revision] = await tx
    .insert(projectRevisions)
    .values({ projectId, number, bundle, bundleHash: hashBundle(bundle), createdBy: actor.id })
    .returning();
  return revision!;
}

// Every page load asks for this list: prepared once per pool (server/database/prepared.ts), the
// filters as placeholders that are null or match-everything when not given.
const myProjectsQuery = (db: Database, name: string) =>
  db
    .select({
      id: projects.id,
      title: projects.title,
      status: projects.status,
      role: projectMembers.role,
      updatedAt: projects.updatedAt,
      // Decisions on any of the project's revisions since this member last looked; in the same query.
      newDecisions: sql<number>`(
        SELECT count(*)::int FROM ${projectRevisions}
          JOIN ${siteApprovals} ON ${siteApprovals.revisionId} = ${projectRevisions.id}
         WHERE ${projectRevisions.projectId} = ${projects.id}
           AND ${siteApprovals.decidedAt} > ${projectMembers.decisionsSeenAt})`,
    })
    .from(projects)
    .innerJoin(projectMembers, eq(projectMembers.projectId, projects.id))
    .where(
      and(
        eq(projectMembers.userId, sql.placeholder("userId")),
        sql`(${sql.placeholder("status")}::project_status IS NULL OR ${projects.status} = ${sql.placeholder("status")}::project_status)`,
        ilike(projects.title, sql.placeholder("titlePattern")),
      ),
    )
    .orderBy(desc(projects.updatedAt))
    .prepare(name);

/** The viewer's projects (any project role), newest first, with their unseen approval decisions. */
export async function listMyProjects(db: Database, viewer: UserActor, input: TProjectListInput) {
  return prepared(db, "flip_my_projects", myProjectsQuery).execute({
    userId: viewer.id,
    status: input.status ?? null,
    titlePattern: input.search ? `%${escapeLike(input.search)}%` : "%",
  });
}

async function unseenDecisionCounts(db: Database, userId: string): Promise<Map<string, number>> {
  const rows = await db
    .select({ projectId: projectMembers.projectId, n: count() })
    .from(projectMembers)
    .innerJoin(projectRevisions, eq(projectRevisions.projectId, projectMembers.projectId))
    .innerJoin(siteApprovals, eq(siteApprovals.revisionId, projectRevisions.id))
    .where(and(eq(projectMembers.userId, userId), gt(siteApprovals.decidedAt, projectMembers.decisionsSeenAt)))
    .groupBy(projectMembers.projectId);
  return new Map(rows.map((r) => [r.projectId, r.n]));
}

export async function countUnseenDecisions(db: Database, actor: UserActor): Promise<number> {
  return [...(await unseenDecisionCounts(db, actor.id)).values()].reduce((a, b) => a + b, 0);
}

export async function markDecisionsSeen(db: Database, actor: UserActor, { projectId }: { projectId: string }) {
  await db
    .update(projectMembers)
    .set({ decisionsSeenAt: new Date() })
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, actor.id)));
}

/** Everything the project page shows, with the actor's role on the project (`myRole`). */
export async function getProject(db: Database, actor: UserActor, { projectId }: { projectId: string }) {
  const [row] = await db
    .select({ project: projects, myRole: projectMembers.role })
    .from(projects)
    .innerJoin(projectMembers, and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, actor.id)))
    .where(eq(projects.id, projectId));
  if (!row) throw new AppError("NOT_FOUND", "No project with that id, or you are not a member of it.");
  const { project, myRole } = row;
  const [revision] = await db
    .select()
    .from(projectRevisions)
    .where(eq(projectRevisions.id, project.currentRevisionId!));
  const members = await db
    .select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.projectId, projectId))
    .orderBy(asc(users.name));
  const cohort = revision!.bundle.cohort;
  // Lets the client match earlier counts of this exact cohort, whatever else the revision changed.
  const definitionHash = cohort ? hashDefinition(cohort) : null;
  return {
    project,
    revision: { ...revision!, definitionHash },
    members,
    invitations: await listProjectInvitations(db, { projectId }),
    sites: await siteStates(db, projectId, revision!.id),
    myRole,
  };
}

/** Per requested site: the decision on the current revision, who made it, and the newest revision it approved. */
async function siteStates(db: Database, projectId: string, revisionId: string) {
  const approved = await approvedRevisionsBySite(db, projectId);
  const rows = await db
    .select({
      siteId: sites.id,
      code: sites.code,
      name: sites.name,
      approvalId: siteApprovals.id,
      status: siteApprovals.status,
      decidedAt: siteApprovals.decidedAt,
      comment: siteApprovals.comment,
      decidedBy: users.name,
    })
    .from(projectSites)
    .innerJoin(sites, eq(sites.id, projectSites.siteId))
    .leftJoin(
      siteApprovals,
      and(eq(siteApprovals.siteId, projectSites.siteId), eq(siteApprovals.revisionId, revisionId)),
    )
    .leftJoin(users, eq(users.id, siteApprovals.decidedBy))
    .where(eq(projectSites.projectId, projectId))
    .orderBy(asc(sites.code));
  return rows.map((row) => ({ ...row, approvedRevision: approved.get(row.siteId) ?? null }));
}

export async function listRevisions(db: Database, { projectId }: { projectId: string }) {
  return db
    .select({
      id: projectRevisions.id,
      number: projectRevisions.number,
      bundleHash: projectRevisions.bundleHash,
      createdAt: projectRevisions.createdAt,
    })
    .from(projectRevisions)
    .where(eq(projectRevisions.projectId, projectId))
    .orderBy(desc(projectRevisions.number));
}

export async function removeMember(db: Database, actor: UserActor, input: { projectId: string; userId: string }) {
  return db.transaction(async (tx) => {
    const owners = await tx
      .select({ userId: projectMembers.userId })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, input.projectId), eq(projectMembers.role, "owner")))
      .for("update");
    if (owners.length === 1 && owners[0]!.userId === input.userId)
      throw new AppError("PRECONDITION_FAILED", "A project needs at least one owner. Make someone else owner first.");
    const [removed] = await tx
      .delete(projectMembers)
      .where(and(eq(projectMembers.projectId, input.projectId), eq(projectMembers.userId, input.userId)))
      .returning({ role: projectMembers.role });
    if (!removed) throw new AppError("NOT_FOUND", "That person is not a member of this project.");
    await recordAudit(tx, {
      actor,
      action: "project.member_removed",
      subject: `project:${input.projectId}`,
      details: { userId: input.userId },
    });
  });
}

/**
 * Saves a changed bundle as a new revision. Approvals belong to the old revision's hash, so every
 * requested site is pending again and an active project goes back to submitted.
 */
export async function reviseBundle(
  db: Database,
  actor: UserActor,
  { projectId, bundle }: { projectId: string; bundle: Bundle },
) {
  return db.transaction((tx) => reviseBundleInTx(tx, actor, { projectId, bundle: () => bundle }));
}

/**
 * Lists a model's spec (task, input, outcome) in the project's bundle, in the caller's transaction
 * (the one that registers the model). A spec already listed changes nothing; otherwise the bundle
 * gets a new revision that every requested site must approve, as for any bundle change.
 */
export async function addModelToBundle(
  tx: Tx,
  actor: UserActor,
  { projectId, model }: { projectId: string; model: BundleModel },
) {
  return reviseBundleInTx(tx, actor, {
    projectId,
    bundle: (current) => {
      if (findBundleModel(current, model)) return current;
      if (current.models.length >= MAX_BUNDLE_MODELS)
        throw new AppError(
          "PRECONDITION_FAILED",
          `The governance bundle already lists ${MAX_BUNDLE_MODELS} model specs, the most it can. Register this model with the same input and outcome as one of them, or start a new project.`,
        );
      return { ...current, models: [...current.models, model] };
    },
  });
}

async function reviseBundleInTx(
  tx: Tx,
  actor: UserActor,
  { projectId, bundle: next }: { projectId: string; bundle: (current: Bundle) => Bundle },
) {
  const [project] = await tx.select().from(projects).where(eq(projects.id, projectId)).for("update");
  if (!project) throw new AppError("NOT_FOUND", "No project with that id.");
  if (project.status === "closed")
    throw new AppError("PRECONDITION_FAILED", "This project is closed; it cannot be changed.");
  const [current] = await tx.select().from(projectRevisions).where(eq(projectRevisions.id, project.currentRevisionId!));
  const bundle = next(current!.bundle);
  if (current!.bundleHash === hashBundle(bundle)) return { revision: current!, isNew: false };
  const revision = await insertRevision(tx, actor, projectId, current!.number + 1, bundle);
  const requested = await tx
    .select({ siteId: projectSites.siteId })
    .from(projectSites)
    .where(eq(projectSites.projectId, projectId));
  if (requested.length) {
    const asked = await tx
      .insert(siteApprovals)
      .values(requested.map((r) => ({ revisionId: revision.id, siteId: r.siteId })))
      .returning({ id: siteApprovals.id });
    await queueRequestNotices(
      tx,
      asked.map((a) => a.id),
    );
  }
  const status = project.status === "active" ? "submitted" : project.status;
  assertTransition(project.status, status);
  await tx.update(projects).set({ currentRevisionId: revision.id, status }).where(eq(projects.id, projectId));
  await recordAudit(tx, {
    actor,
    action: "project.revised",
    subject: `project:${projectId}`,
    details: { revision: revision.number, bundleHash: revision.bundleHash, approvalsVoided: requested.length },
  });
  return { revision, isNew: true };
}

/** Asks sites to approve the current revision; sites already asked keep their state. */
export async function submitProject(
  db: Database,
  actor: UserActor,
  { projectId, siteIds }: { projectId: string; siteIds: string[] },
) {
  return db.transaction(async (tx) => {
    const [project] = await tx.select().from(projects).where(eq(projects.id, projectId)).for("update");
    if (!project) throw new AppError("NOT_FOUND", "No project with that id.");
    const found = await tx.select({ id: sites.id, code: sites.code }).from(sites).where(inArray(sites.id, siteIds));
    if (found.length !== new Set(siteIds).size)
      throw AppError.field("NOT_FOUND", "siteIds", "One of the chosen sites does not exist");
    const next = project.status === "draft" ? "submitted" : project.status;
    assertTransition(project.status, next);
    await tx
      .insert(projectSites)
      .values(found.map((s) => ({ projectId, siteId: s.id })))
      .onConflictDoNothing();
    const asked = await tx
      .insert(siteApprovals)
      .values(found.map((s) => ({ revisionId: project.currentRevisionId!, siteId: s.id })))
      .onConflictDoNothing()
      .returning({ id: siteApprovals.id });
    await queueRequestNotices(
      tx,
      asked.map((a) => a.id),
    );
    await tx.update(projects).set({ status: next }).where(eq(projects.id, projectId));
    await recordAudit(tx, {
      actor,
      action: "project.submitted",
      subject: `project:${projectId}`,
      details: { sites: found.map((s) => s.code) },
    });
  });
}

export async function closeProject(db: Database, actor: UserActor, { projectId }: { projectId: string }) {
  return db.transaction(async (tx) => {
    const [project] = await tx
      .select({ status: projects.status })
      .from(projects)
      .where(eq(projects.id, projectId))
      .for("update");
    if (!project) throw new AppError("NOT_FOUND", "No project with that id.");
    assertTransition(project.status, "closed");
    await tx.update(projects).set({ status: "closed" }).where(eq(projects.id, projectId));
    await recordAudit(tx, { actor, action: "project.closed", subject: `project:${projectId}` });
  });
}

/** Used by dispatch: the sites whose approval matches the project's current revision. */
export async function listApprovedSiteIds(
  db: Database | Tx,
  { projectId }: { projectId: string },
): Promise<Set<string>> {
  const rows = await db
    .select({ siteId: siteApprovals.siteId })
    .from(projects)
    .innerJoin(
      siteApprovals,
      and(eq(siteApprovals.revisionId, projects.currentRevisionId), eq(siteApprovals.status, "approved")),
    )
    .where(eq(projects.id, projectId))
    // A withdrawal (FOR UPDATE) waits for work being queued on these approvals, then cancels it.
    .for("share", { of: siteApprovals });
  return new Set(rows.map((r) => r.siteId));
}

/** The sites that withdrew their approval of the project's current revision: they receive no work for it at all. */
export async function listWithdrawnSiteIds(db: DbOrTx, { projectId }: { projectId: string }): Promise<Set<string>> {
  const rows = await db
    .select({ siteId: siteApprovals.siteId })
    .from(projects)
    .innerJoin(
      siteApprovals,
      and(eq(siteApprovals.revisionId, projects.currentRevisionId), eq(siteApprovals.status, "withdrawn")),
    )
    .where(eq(projects.id, projectId));
  return new Set(rows.map((r) => r.siteId));
}
