import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { cohortRuns, cohortRunTasks, privacyReports, sites, siteTasks } from "@/db/schema";
import type { CohortCountResult } from "@/protocol/contract";

export type SitePrivacyBudget = {
  siteCode: string;
  siteName: string;
  epsilonSpent: number;
  maxEpsilon: number;
  remaining: number;
  delta: number;
  /** What the site last reported the spend with: a DP training round (its job and round) or a DP cohort count. */
  reportedWith: { kind: "training"; jobId: string; round: number } | { kind: "count"; runId: string };
  reportedAt: Date;
};

/**
 * Each site's differential-privacy spend on a project, as the site last reported it with a DP update
 * or a DP cohort count: ε spent at its δ (training and counts share one budget, so the latest report
 * of either kind is the site's total), its budget and what remains. The sites' ledgers hold the
 * authoritative figures; a site that has released nothing with DP for the project is not listed.
 */
export async function listPrivacyBudgets(db: Database, input: { projectId: string }): Promise<SitePrivacyBudget[]> {
  const [training, counts] = await Promise.all([
    db
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
      .orderBy(privacyReports.siteId, desc(privacyReports.reportedAt), desc(privacyReports.epsilonSpent)),
    db
      .selectDistinctOn([siteTasks.siteId], {
        siteCode: sites.code,
        siteName: sites.name,
        runId: cohortRunTasks.runId,
        result: siteTasks.result,
        reportedAt: siteTasks.finishedAt,
      })
      .from(cohortRunTasks)
      .innerJoin(cohortRuns, eq(cohortRuns.id, cohortRunTasks.runId))
      .innerJoin(siteTasks, eq(siteTasks.id, cohortRunTasks.taskId))
      .innerJoin(sites, eq(sites.id, siteTasks.siteId))
      .where(
        and(
          eq(cohortRuns.projectId, input.projectId),
          eq(siteTasks.status, "done"),
          sql`${siteTasks.result} ? 'differentialPrivacy'`,
        ),
      )
      .orderBy(siteTasks.siteId, desc(siteTasks.finishedAt)),
  ]);
  const bySite = new Map<string, SitePrivacyBudget>();
  const offer = (row: SitePrivacyBudget) => {
    const seen = bySite.get(row.siteCode);
    if (!seen || row.reportedAt > seen.reportedAt) bySite.set(row.siteCode, row);
  };
  for (const { jobId, round, ...r } of training)
    offer({ ...r, remaining: 0, reportedWith: { kind: "training", jobId, round } });
  for (const { result, runId, reportedAt, ...r } of counts) {
    const dp = (result as CohortCountResult).differentialPrivacy!;
    offer({
      ...r,
      epsilonSpent: dp.epsilonSpent,
      maxEpsilon: dp.maxEpsilon,
      delta: dp.budgetDelta,
      remaining: 0,
      reportedWith: { kind: "count", runId },
      reportedAt: reportedAt ?? new Date(0),
    });
  }
  return [...bySite.values()]
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
