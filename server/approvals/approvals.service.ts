import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { approvalDecisions, projectRevisions, projects, siteApprovals, sites, users } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import type { Viewer } from "@/server/auth/permissions";
import { AppError } from "@/server/errors";
import { getLatestSiteCount } from "@/server/cohorts/cohorts.service";
import { diffBundles } from "@/server/projects/bundle";
import { assertTransition } from "@/server/projects/project-status";
import type { TDecideInput } from "./approvals.schema";
import { assertNotProjectMember, conflictOfInterestMessage, projectRoleOf } from "./separation-of-duties";
import { checkSignedDecision } from "./signed-decision";

const requestColumns = {
  approvalId: siteApprovals.id,
  status: siteApprovals.status,
  requestedAt: siteApprovals.createdAt,
  projectId: projects.id,
  projectTitle: projects.title,
  projectStatus: projects.status,
  revisionId: projectRevisions.id,
  revisionNumber: projectRevisions.number,
  bundleHash: projectRevisions.bundleHash,
};

/** Requests waiting for this site: only approvals of each project's current revision. */
export async function listPendingApprovals(db: Database, { siteId }: { siteId: string }) {
  return db
    .select(requestColumns)
    .from(siteApprovals)
    .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
    .innerJoin(
      projects,
      and(eq(projects.id, projectRevisions.projectId), eq(projects.currentRevisionId, projectRevisions.id)),
    )
    .where(
      and(
        eq(siteApprovals.siteId, siteId),
        eq(siteApprovals.status, "pending"),
        inArray(projects.status, ["submitted", "active"]),
      ),
    )
    .orderBy(desc(siteApprovals.createdAt));
}

/** The sites a person may decide for (from the grants the viewer carries); empty for non-approvers. */
export function listApproverSites({ grants }: Pick<Viewer, "grants">) {
  return grants.flatMap((g) =>
    g.role === "approver" && g.siteId ? [{ siteId: g.siteId, code: g.siteCode, name: g.siteName }] : [],
  );
}

/** Requests waiting at any of the sites the viewer approves for. */
export async function countPendingApprovals(db: Database, viewer: Pick<Viewer, "grants">): Promise<number> {
  const siteIds = listApproverSites(viewer).map((s) => s.siteId);
  if (siteIds.length === 0) return 0;
  const rows = await db
    .select({ id: siteApprovals.id })
    .from(siteApprovals)
    .innerJoin(projects, eq(projects.currentRevisionId, siteApprovals.revisionId))
    .where(
      and(
        inArray(siteApprovals.siteId, siteIds),
        eq(siteApprovals.status, "pending"),
        inArray(projects.status, ["submitted", "active"]),
      ),
    );
  return rows.length;
}

/**
 * One request as the approver reviews it: the full bundle, the cohort's count at this site, and for
 * a re-submission the changes since the revision this site last approved.
 */
export async function getApprovalRequest(
  db: Database,
  viewer: UserActor,
  { siteId, approvalId }: { siteId: string; approvalId: string },
) {
  const [request] = await db
    .select({
      ...requestColumns,
      bundle: projectRevisions.bundle,
      decidedAt: siteApprovals.decidedAt,
      comment: siteApprovals.comment,
      decidedBy: users.name,
      // The fingerprint of the passkey that signed the decision, when it was signed.
      keyFingerprint: sql<string | null>`${siteApprovals.signature}->>'keyFingerprint'`,
      isCurrent: sql<boolean>`${projects.currentRevisionId} = ${projectRevisions.id}`,
    })
    .from(siteApprovals)
    .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
    .innerJoin(projects, eq(projects.id, projectRevisions.projectId))
    .leftJoin(users, eq(users.id, siteApprovals.decidedBy))
    .where(and(eq(siteApprovals.id, approvalId), eq(siteApprovals.siteId, siteId)));
  if (!request) throw new AppError("NOT_FOUND", "No such request for this site.");
  const [previous] = await db
    .select({
      number: projectRevisions.number,
      bundle: projectRevisions.bundle,
      bundleHash: projectRevisions.bundleHash,
    })
    .from(siteApprovals)
    .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
    .where(
      and(
        eq(siteApprovals.siteId, siteId),
        eq(siteApprovals.status, "approved"),
        eq(projectRevisions.projectId, request.projectId),
        lt(projectRevisions.number, request.revisionNumber),
      ),
    )
    .orderBy(desc(projectRevisions.number))
    .limit(1);
  const bundle = request.bundle;
  const role = await projectRoleOf(db, viewer.id, request.projectId);
  return {
    ...request,
    bundle,
    /** Why this viewer may not decide (they work on the project), or null. */
    conflictOfInterest: role ? conflictOfInterestMessage(role) : null,
    decisions: await db
      .select({
        decision: approvalDecisions.decision,
        decidedAt: approvalDecisions.decidedAt,
        decidedBy: users.name,
        comment: approvalDecisions.comment,
      })
      .from(approvalDecisions)
      .leftJoin(users, eq(users.id, approvalDecisions.decidedBy))
      .where(eq(approvalDecisions.approvalId, approvalId))
      .orderBy(asc(approvalDecisions.decidedAt)),
    previouslyApproved: previous
      ? {
          number: previous.number,
          bundleHash: previous.bundleHash,
          changes: diffBundles(previous.bundle, bundle),
        }
      : null,
    siteCount: bundle.cohort
      ? await getLatestSiteCount(db, { projectId: request.projectId, siteId, definition: bundle.cohort })
      : null,
  };
}

/**
 * Records a site's decision on the current revision. Decisions are final for that revision, except
 * that an approval the site withdrew takes a new decision to reinstate (or decline). A member of
 * the project may not decide on it. A signed decision (the approver's passkey over bundle hash,
 * revision, project, site, decision and time) is checked and stored with it; sites that enrol
 * approvers run only signed approvals.
 */
export async function decideApproval(db: Database, approver: UserActor, input: TDecideInput) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({
        status: siteApprovals.status,
        projectId: projects.id,
        projectStatus: projects.status,
        currentRevisionId: projects.currentRevisionId,
        revisionId: siteApprovals.revisionId,
        number: projectRevisions.number,
        bundleHash: projectRevisions.bundleHash,
        siteCode: sites.code,
      })
      .from(siteApprovals)
      .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
      .innerJoin(projects, eq(projects.id, projectRevisions.projectId))
      .innerJoin(sites, eq(sites.id, siteApprovals.siteId))
      .where(and(eq(siteApprovals.id, input.approvalId), eq(siteApprovals.siteId, input.siteId)))
      // Not the site row: its code is only read, and locking it would hold up work queued for the site.
      .for("update", { of: [siteApprovals, projectRevisions, projects] });
    if (!row) throw new AppError("NOT_FOUND", "No such request for this site.");
    if (row.status !== "pending" && row.status !== "withdrawn")
      throw new AppError(
        "CONFLICT",
        `This revision was already ${row.status}; decisions are final. Nothing was changed.`,
      );
    if (row.currentRevisionId !== row.revisionId)
      throw new AppError(
        "CONFLICT",
        "The project has been revised since; review the new revision instead. Nothing was changed.",
      );
    if (row.projectStatus === "closed") throw new AppError("PRECONDITION_FAILED", "This project is closed.");
    await assertNotProjectMember(tx, approver.id, row.projectId);
    // A signed decision's time is the one signed, so the site can rebuild the statement exactly.
    const decidedAt = input.signature ? new Date(input.signature.decidedAt) : new Date();
    const signature = input.signature
      ? await checkSignedDecision(
          tx,
          approver,
          {
            bundleHash: row.bundleHash,
            revisionId: row.revisionId,
            projectId: row.projectId,
            siteCode: row.siteCode,
            decision: input.decision,
            decidedAt: input.signature.decidedAt,
          },
          input.signature.assertion,
        )
      : null;
    await tx
      .update(siteApprovals)
      .set({
        status: input.decision,
        decidedBy: approver.id,
        decidedAt,
        comment: input.comment || null,
        signature,
      })
      .where(eq(siteApprovals.id, input.approvalId));
    await tx.insert(approvalDecisions).values({
      approvalId: input.approvalId,
      siteId: input.siteId,
      decision: input.decision,
      bundleHash: row.bundleHash,
      decidedBy: approver.id,
      decidedAt,
      comment: input.comment || null,
    });
    if (input.decision === "approved" && row.projectStatus === "submitted") {
      assertTransition("submitted", "active");
      await tx.update(projects).set({ status: "active" }).where(eq(projects.id, row.projectId));
    }
    await recordAudit(tx, {
      actor: approver,
      action: input.decision === "approved" ? "approval.approved" : "approval.declined",
      subject: `project:${row.projectId}`,
      details: {
        siteId: input.siteId,
        revision: row.number,
        bundleHash: row.bundleHash,
        comment: input.comment ?? null,
        keyFingerprint: signature?.keyFingerprint ?? null,
        ...(row.status === "withdrawn" ? { after: "withdrawn" } : {}),
      },
    });
  });
}
