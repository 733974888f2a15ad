import { and, count, desc, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import {
  approvalDecisions,
  projectRevisions,
  projects,
  projectSites,
  siteApprovals,
  siteTasks,
  users,
} from "@/db/schema";
import type { UserActor } from "@/server/auth/actor";
import { AppError } from "@/server/errors";
import type { TDecisionHistoryInput } from "./approvals.schema";
import { describeRelease } from "./release-summary";

/*
 * The approver's console: what the site decided, and what ran on its data, per project. Everything
 * is scoped to the site in the WHERE clause; a project that never asked for this site is not found.
 */

const HISTORY_PAGE_SIZE = 25;
const ACTIVITY_LIMIT = 200;

/** Every decision made for the site, newest first, with the bundle hash each covered; `mine` keeps the viewer's own. */
export async function listDecisionHistory(db: Database, viewer: UserActor, input: TDecisionHistoryInput) {
  const where = and(
    eq(approvalDecisions.siteId, input.siteId),
    input.mine ? eq(approvalDecisions.decidedBy, viewer.id) : undefined,
  );
  const rows = await db
    .select({
      id: approvalDecisions.id,
      decision: approvalDecisions.decision,
      decidedAt: approvalDecisions.decidedAt,
      decidedBy: users.name,
      comment: approvalDecisions.comment,
      bundleHash: approvalDecisions.bundleHash,
      approvalId: approvalDecisions.approvalId,
      projectId: projects.id,
      projectTitle: projects.title,
      revisionNumber: projectRevisions.number,
    })
    .from(approvalDecisions)
    .innerJoin(siteApprovals, eq(siteApprovals.id, approvalDecisions.approvalId))
    .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
    .innerJoin(projects, eq(projects.id, projectRevisions.projectId))
    .leftJoin(users, eq(users.id, approvalDecisions.decidedBy))
    .where(where)
    .orderBy(desc(approvalDecisions.decidedAt), desc(approvalDecisions.id))
    .limit(HISTORY_PAGE_SIZE)
    .offset((input.page - 1) * HISTORY_PAGE_SIZE);
  const [total] = await db.select({ n: count() }).from(approvalDecisions).where(where);
  return { rows, total: total?.n ?? 0, pageSize: HISTORY_PAGE_SIZE };
}

/** The projects that asked for this site: this site's state on each one's current revision and how much ran. */
export async function listSiteProjects(db: Database, { siteId }: { siteId: string }) {
  const rows = await db
    .select({
      projectId: projects.id,
      title: projects.title,
      projectStatus: projects.status,
      revisionNumber: projectRevisions.number,
      approvalId: siteApprovals.id,
      approvalStatus: siteApprovals.status,
      decidedAt: siteApprovals.decidedAt,
    })
    .from(projectSites)
    .innerJoin(projects, eq(projects.id, projectSites.projectId))
    .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
    .leftJoin(
      siteApprovals,
      and(eq(siteApprovals.revisionId, projects.currentRevisionId), eq(siteApprovals.siteId, siteId)),
    )
    .where(eq(projectSites.siteId, siteId))
    .orderBy(desc(projectSites.requestedAt));
  const tasks = await db
    .select({
      projectId: sql<string>`${siteTasks.payload}->>'projectId'`,
      n: count(),
      lastAt: sql<Date>`max(${siteTasks.createdAt})`.mapWith(siteTasks.createdAt),
    })
    .from(siteTasks)
    .where(and(eq(siteTasks.siteId, siteId), sql`${siteTasks.payload}->>'projectId' IS NOT NULL`))
    .groupBy(sql`${siteTasks.payload}->>'projectId'`);
  const byProject = new Map(tasks.map((t) => [t.projectId, t]));
  return rows.map((row) => ({
    ...row,
    taskCount: byProject.get(row.projectId)?.n ?? 0,
    lastTaskAt: byProject.get(row.projectId)?.lastAt ?? null,
  }));
}

/** One project at this site: the approval on its current revision and every task it sent here, with what left. */
export async function getSiteProjectActivity(
  db: Database,
  { siteId, projectId }: { siteId: string; projectId: string },
) {
  const [project] = await db
    .select({
      projectId: projects.id,
      title: projects.title,
      projectStatus: projects.status,
      revisionNumber: projectRevisions.number,
      bundleHash: projectRevisions.bundleHash,
      approvalId: siteApprovals.id,
      approvalStatus: siteApprovals.status,
      decidedAt: siteApprovals.decidedAt,
      decidedBy: users.name,
      comment: siteApprovals.comment,
    })
    .from(projectSites)
    .innerJoin(projects, eq(projects.id, projectSites.projectId))
    .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
    .leftJoin(
      siteApprovals,
      and(eq(siteApprovals.revisionId, projects.currentRevisionId), eq(siteApprovals.siteId, siteId)),
    )
    .leftJoin(users, eq(users.id, siteApprovals.decidedBy))
    .where(and(eq(projectSites.siteId, siteId), eq(projectSites.projectId, projectId)));
  if (!project) throw new AppError("NOT_FOUND", "This project has not asked to use your site's data.");
  const tasks = await db
    .select({
      id: siteTasks.id,
      kind: siteTasks.kind,
      status: siteTasks.status,
      payload: siteTasks.payload,
      result: siteTasks.result,
      createdAt: siteTasks.createdAt,
      finishedAt: siteTasks.finishedAt,
      failureMessage: siteTasks.failureMessage,
      requestedBy: users.name,
    })
    .from(siteTasks)
    .leftJoin(users, eq(users.id, siteTasks.requestedBy))
    .where(and(eq(siteTasks.siteId, siteId), sql`${siteTasks.payload}->>'projectId' = ${projectId}`))
    .orderBy(desc(siteTasks.createdAt))
    .limit(ACTIVITY_LIMIT);
  return {
    ...project,
    tasks: tasks.map(({ payload, result, ...task }) => ({
      ...task,
      purpose: "purpose" in payload ? payload.purpose : null,
      released: describeRelease({ kind: task.kind, status: task.status, result }),
    })),
    tasksShown: ACTIVITY_LIMIT,
  };
}
