import { and, desc, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { projectRevisions, siteApprovals } from "@/db/schema";

export type ApprovedRevision = {
  number: number;
  bundleHash: string;
  /** The model specs that revision lets the site train or evaluate (empty for bundles without models). */
  models: { name: string; task: string }[];
};

/**
 * Per site, the newest revision of the project the site has approved and not withdrawn: what it
 * runs when that is the current revision, and what it last agreed to while a newer one waits.
 */
export async function approvedRevisionsBySite(db: DbOrTx, projectId: string): Promise<Map<string, ApprovedRevision>> {
  const rows = await db
    .selectDistinctOn([siteApprovals.siteId], {
      siteId: siteApprovals.siteId,
      number: projectRevisions.number,
      bundleHash: projectRevisions.bundleHash,
      bundle: projectRevisions.bundle,
    })
    .from(siteApprovals)
    .innerJoin(projectRevisions, eq(projectRevisions.id, siteApprovals.revisionId))
    .where(and(eq(projectRevisions.projectId, projectId), eq(siteApprovals.status, "approved")))
    .orderBy(siteApprovals.siteId, desc(projectRevisions.number));
  return new Map(
    rows.map((r) => [
      r.siteId,
      {
        number: r.number,
        bundleHash: r.bundleHash,
        models: (r.bundle.models ?? []).map((m) => ({ name: m.name, task: m.task })),
      },
    ]),
  );
}
