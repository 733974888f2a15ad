import { desc, eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { privacyReports, sites } from "@/db/schema";

export type SitePrivacyBudget = {
  siteCode: string;
  siteName: string;
  epsilonSpent: number;
  maxEpsilon: number;
  remaining: number;
  delta: number;
  jobId: string;
  round: number;
  reportedAt: Date;
};

/**
 * Each site's differential-privacy spend on a project, as the site last reported it with a DP update:
 * ε spent at its δ, its budget and what remains. The sites' ledgers hold the authoritative figures;
 * a site that has not trained with DP for the project is not listed.
 */
export async function listPrivacyBudgets(db: Database, input: { projectId: string }): Promise<SitePrivacyBudget[]> {
  const rows = await db
    .selectDistinctOn([privacyReports.siteId], {
      siteCode: sites.code,
      siteName: sites.name,
      epsilonSpent: privacyReports.epsilonSpent,
      maxEpsilon: privacyReports.maxEpsilon,
      delta: privacyReports.delta,
      jobId: privacyReports.jobId,
      round: privacyReports.round,
      reportedAt: privacyReports.reportedAt,
    })
    .from(privacyReports)
    .innerJoin(sites, eq(sites.id, privacyReports.siteId))
    .where(eq(privacyReports.projectId, input.projectId))
    .orderBy(privacyReports.siteId, desc(privacyReports.reportedAt), desc(privacyReports.epsilonSpent));
  return rows
    .map((r) => ({ ...r, remaining: Math.max(0, r.maxEpsilon - r.epsilonSpent) }))
    .sort((a, b) => a.siteCode.localeCompare(b.siteCode));
}

/** ε each site had spent on the project by the end of one job's round (for a version's model card). */
export async function privacySpentByRound(
  db: Database,
  input: { jobId: string; round: number },
): Promise<{ siteCode: string; epsilonSpent: number; delta: number; maxEpsilon: number }[]> {
  const rows = await db
    .select({
      siteCode: sites.code,
      round: privacyReports.round,
      epsilonSpent: privacyReports.epsilonSpent,
      delta: privacyReports.delta,
      maxEpsilon: privacyReports.maxEpsilon,
    })
    .from(privacyReports)
    .innerJoin(sites, eq(sites.id, privacyReports.siteId))
    .where(eq(privacyReports.jobId, input.jobId))
    .orderBy(sites.code, privacyReports.round);
  const bySite = new Map<string, { siteCode: string; epsilonSpent: number; delta: number; maxEpsilon: number }>();
  for (const { round, ...row } of rows) if (round <= input.round) bySite.set(row.siteCode, row);
  return [...bySite.values()];
}
