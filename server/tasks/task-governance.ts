import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { projectRevisions, siteApprovals, type SiteTask } from "@/db/schema";
import { canonicalBundleJson } from "@/protocol/bundle-hash";
import type { TaskGovernance } from "@/protocol/signed-approval";

/**
 * What a project task carries to its site: the revision's bundle as the canonical JSON that was
 * hashed, the hash the hub holds, and this site's signed decision on that revision. The hub passes
 * these on as they are stored; the site trusts none of it until it has checked the signature
 * against its own enrolled keys (workers/governance/admit-approved.ts).
 */
export async function governanceOf(
  db: DbOrTx,
  task: Pick<SiteTask, "revisionId" | "siteId">,
): Promise<TaskGovernance | null> {
  if (!task.revisionId) return null;
  const [row] = await db
    .select({
      projectId: projectRevisions.projectId,
      bundle: projectRevisions.bundle,
      bundleHash: projectRevisions.bundleHash,
      status: siteApprovals.status,
      decidedAt: siteApprovals.decidedAt,
      signature: siteApprovals.signature,
    })
    .from(projectRevisions)
    .leftJoin(
      siteApprovals,
      and(eq(siteApprovals.revisionId, projectRevisions.id), eq(siteApprovals.siteId, task.siteId)),
    )
    .where(eq(projectRevisions.id, task.revisionId));
  if (!row) return null;
  const isSigned = (row.status === "approved" || row.status === "declined") && row.signature && row.decidedAt;
  return {
    projectId: row.projectId,
    revisionId: task.revisionId,
    bundleJson: canonicalBundleJson(row.bundle),
    bundleHash: row.bundleHash,
    approval: isSigned
      ? {
          decision: row.status as "approved" | "declined",
          decidedAt: row.decidedAt!.toISOString(),
          keyFingerprint: row.signature!.keyFingerprint,
          assertion: row.signature!.assertion,
        }
      : null,
  };
}
