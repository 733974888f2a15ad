import { and, inArray } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { projectRevisions, siteApprovals, type SiteTask } from "@/db/schema";
import { canonicalBundleJson } from "@/protocol/bundle-hash";
import type { TaskGovernance } from "@/protocol/signed-approval";

/**
 * What a project task carries to its site: the revision's bundle as the canonical JSON that was
 * hashed, the hash the hub holds, and this site's signed decision on that revision. The hub passes
 * these on as they are stored; the site trusts none of it until it has checked the signature
 * against its own enrolled keys (workers/governance/admit-approved.ts). By task id; null for a task
 * of no project revision.
 */
export async function governanceOfTasks(
  db: DbOrTx,
  tasks: readonly Pick<SiteTask, "id" | "revisionId" | "siteId">[],
): Promise<Map<string, TaskGovernance | null>> {
  const revisionIds = [...new Set(tasks.flatMap((t) => (t.revisionId ? [t.revisionId] : [])))];
  const governance = new Map<string, TaskGovernance | null>(tasks.map((t) => [t.id, null]));
  if (revisionIds.length === 0) return governance;
  // Two reads for any number of tasks (a round opening leases every site's at once), and each
  // revision's bundle made canonical once.
  const [revisions, approvals] = await Promise.all([
    db
      .select({
        id: projectRevisions.id,
        projectId: projectRevisions.projectId,
        bundle: projectRevisions.bundle,
        bundleHash: projectRevisions.bundleHash,
      })
      .from(projectRevisions)
      .where(inArray(projectRevisions.id, revisionIds)),
    db
      .select({
        revisionId: siteApprovals.revisionId,
        siteId: siteApprovals.siteId,
        status: siteApprovals.status,
        decidedAt: siteApprovals.decidedAt,
        signature: siteApprovals.signature,
      })
      .from(siteApprovals)
      .where(
        and(
          inArray(siteApprovals.revisionId, revisionIds),
          inArray(siteApprovals.siteId, [...new Set(tasks.map((t) => t.siteId))]),
        ),
      ),
  ]);
  const revisionById = new Map(revisions.map((r) => [r.id, { ...r, bundleJson: canonicalBundleJson(r.bundle) }]));
  for (const task of tasks) {
    const revision = task.revisionId ? revisionById.get(task.revisionId) : undefined;
    if (!revision) continue;
    // This site's own decision only.
    const row = approvals.find((a) => a.revisionId === revision.id && a.siteId === task.siteId);
    const isSigned = (row?.status === "approved" || row?.status === "declined") && row.signature && row.decidedAt;
    governance.set(task.id, {
      projectId: revision.projectId,
      revisionId: revision.id,
      bundleJson: revision.bundleJson,
      bundleHash: revision.bundleHash,
      approval: isSigned
        ? {
            decision: row.status as "approved" | "declined",
            decidedAt: row.decidedAt!.toISOString(),
            keyFingerprint: row.signature!.keyFingerprint,
            assertion: row.signature!.assertion,
          }
        : null,
    });
  }
  return governance;
}
