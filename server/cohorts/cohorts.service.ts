import { and, desc, eq, gte, inArray, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { cohortRuns, cohortRunTasks, projectRevisions, projects, siteTasks, sites } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";
import { listApprovedSiteIds, listWithdrawnSiteIds } from "@/server/projects/projects.service";
import type { Bundle } from "@/server/projects/projects.schema";
import { enqueueTask } from "@/server/tasks/tasks.service";
import type { CohortDefinition } from "@/protocol/cohort-definition";
import { SUPPRESSED, type Cell, type CohortCountResult } from "@/protocol/contract";
import type { TRunCohortInput } from "./cohorts.schema";
import { hashDefinition } from "./cohort-hash";

/**
 * The same definition may be counted at one site at most this often per day before approval:
 * repeated near-identical queries are how differencing attacks uncover suppressed cells.
 */
const feasibilityLimitPerDay = () => getHubConfig().FLIP_FEASIBILITY_LIMIT_PER_DAY;

/** Dispatches a cohort count to each chosen site, refusing sites that may not receive it. */
export async function runCohort(db: Database, actor: UserActor, input: TRunCohortInput) {
  return db.transaction(async (tx) => {
    const [project] = await tx
      .select({ status: projects.status, revisionId: projectRevisions.id, bundle: projectRevisions.bundle })
      .from(projects)
      .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
      .where(eq(projects.id, input.projectId))
      .for("update", { of: projects });
    if (!project) throw new AppError("NOT_FOUND", "No project with that id.");
    if (project.status === "closed") throw new AppError("PRECONDITION_FAILED", "This project is closed.");
    const bundle = project.bundle as Bundle;
    if (!bundle.cohort) throw new AppError("PRECONDITION_FAILED", "Define the cohort first.");
    if (!bundle.allowedJobKinds.includes("cohort_count"))
      throw new AppError("PRECONDITION_FAILED", "This project's bundle does not allow cohort counts.");
    const chosen = await tx
      .select({ id: sites.id, code: sites.code })
      .from(sites)
      .where(inArray(sites.id, input.siteIds));
    if (chosen.length !== new Set(input.siteIds).size)
      throw AppError.field("NOT_FOUND", "siteIds", "One of the chosen sites does not exist");

    const withdrawn = await listWithdrawnSiteIds(tx, { projectId: input.projectId });
    const stopped = chosen.filter((s) => withdrawn.has(s.id)).map((s) => s.code);
    if (stopped.length)
      throw new AppError(
        "FORBIDDEN",
        `${stopped.join(", ")} withdrew approval of this project; no work, feasibility counts included, goes there until it approves again.`,
      );

    const definitionHash = hashDefinition(bundle.cohort);
    if (input.purpose === "approved") {
      const approved = await listApprovedSiteIds(tx, { projectId: input.projectId });
      const refused = chosen.filter((s) => !approved.has(s.id)).map((s) => s.code);
      if (refused.length)
        throw new AppError(
          "FORBIDDEN",
          `Not approved for the current revision at ${refused.join(", ")}; those sites receive no work until they approve it.`,
        );
    } else {
      const recent = await tx
        .select({ siteId: cohortRunTasks.siteId, n: sql<number>`count(*)::int` })
        .from(cohortRunTasks)
        .innerJoin(cohortRuns, eq(cohortRuns.id, cohortRunTasks.runId))
        .where(
          and(
            // Any project's: the same query from a second project must not count again.
            eq(cohortRuns.definitionHash, definitionHash),
            eq(cohortRuns.purpose, "feasibility"),
            gte(cohortRuns.createdAt, sql`now() - interval '1 day'`),
          ),
        )
        .groupBy(cohortRunTasks.siteId);
      const limited = chosen
        .filter((s) => (recent.find((r) => r.siteId === s.id)?.n ?? 0) >= feasibilityLimitPerDay())
        .map((s) => s.code);
      if (limited.length) {
        throw new AppError(
          "TOO_MANY_REQUESTS",
          `This exact cohort was already counted ${feasibilityLimitPerDay()} times today at ${limited.join(", ")}. Use the earlier results or try again tomorrow.`,
        );
      }
    }

    const [run] = await tx
      .insert(cohortRuns)
      .values({
        projectId: input.projectId,
        revisionId: project.revisionId,
        purpose: input.purpose,
        definitionHash,
        createdBy: actor.id,
      })
      .returning();
    for (const site of chosen) {
      const task = await enqueueTask(tx, {
        siteId: site.id,
        siteCode: site.code,
        kind: "cohort_count",
        payload: {
          definition: bundle.cohort,
          purpose: input.purpose,
          minCellCount: bundle.privacy.minCellCount,
          projectId: input.projectId,
          requesterId: actor.id,
        },
        actor,
        requestedBy: actor.id,
        revisionId: project.revisionId,
      });
      await tx.insert(cohortRunTasks).values({ runId: run!.id, siteId: site.id, taskId: task.id });
    }
    await recordAudit(tx, {
      actor,
      action: "cohort.run_requested",
      subject: `project:${input.projectId}`,
      details: { runId: run!.id, purpose: input.purpose, sites: chosen.map((s) => s.code) },
    });
    return run!;
  });
}

type SiteOutcome = {
  siteId: string;
  code: string;
  name: string;
  status: string;
  progress: number;
  progressMessage: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  result: CohortCountResult | null;
};

function addCells(cells: Cell[]): { sum: number; isPartial: boolean } {
  return {
    sum: cells.reduce<number>((a, c) => a + (c === SUPPRESSED ? 0 : c), 0),
    isPartial: cells.some((c) => c === SUPPRESSED),
  };
}

/** Per-site results and the combined figures (sums of the cells sites did not suppress). */
export async function getCohortRun(db: Database, { projectId, runId }: { projectId: string; runId: string }) {
  const [run] = await db
    .select()
    .from(cohortRuns)
    .where(and(eq(cohortRuns.id, runId), eq(cohortRuns.projectId, projectId)));
  if (!run) throw new AppError("NOT_FOUND", "No cohort run with that id in this project.");
  const outcomes: SiteOutcome[] = (
    await db
      .select({
        siteId: sites.id,
        code: sites.code,
        name: sites.name,
        status: siteTasks.status,
        progress: siteTasks.progress,
        progressMessage: siteTasks.progressMessage,
        failureCode: siteTasks.failureCode,
        failureMessage: siteTasks.failureMessage,
        result: siteTasks.result,
      })
      .from(cohortRunTasks)
      .innerJoin(siteTasks, eq(siteTasks.id, cohortRunTasks.taskId))
      .innerJoin(sites, eq(sites.id, cohortRunTasks.siteId))
      .where(eq(cohortRunTasks.runId, runId))
      .orderBy(sites.code)
  ).map((o) => ({ ...o, result: o.status === "done" ? (o.result as CohortCountResult) : null }));
  const done = outcomes.flatMap((o) => (o.result ? [o.result] : []));
  const combined = done.length
    ? {
        total: addCells(done.map((r) => r.total)),
        attrition: done[0]!.attrition.map((step, i) => ({
          rule: step.rule,
          ...addCells(done.map((r) => r.attrition[i]?.remaining ?? SUPPRESSED)),
        })),
        ageBands: done[0]!.ageBands.map((b, i) => ({
          band: b.band,
          ...addCells(done.map((r) => r.ageBands[i]!.persons)),
        })),
        sex: done[0]!.sex.map((s, i) => ({ sex: s.sex, ...addCells(done.map((r) => r.sex[i]!.persons)) })),
      }
    : null;
  return {
    run,
    sites: outcomes,
    combined,
    isFinished: outcomes.every((o) => ["done", "failed", "cancelled", "expired"].includes(o.status)),
  };
}

export async function listCohortRuns(db: Database, { projectId }: { projectId: string }) {
  return db
    .select()
    .from(cohortRuns)
    .where(eq(cohortRuns.projectId, projectId))
    .orderBy(desc(cohortRuns.createdAt))
    .limit(50);
}

/** The latest count a site returned for this exact definition in this project, if any. */
export async function getLatestSiteCount(
  db: Database,
  { projectId, siteId, definition }: { projectId: string; siteId: string; definition: CohortDefinition },
): Promise<{ total: Cell; threshold: number; at: Date } | null> {
  const [row] = await db
    .select({ result: siteTasks.result, at: siteTasks.finishedAt })
    .from(cohortRunTasks)
    .innerJoin(cohortRuns, eq(cohortRuns.id, cohortRunTasks.runId))
    .innerJoin(siteTasks, eq(siteTasks.id, cohortRunTasks.taskId))
    .where(
      and(
        eq(cohortRuns.projectId, projectId),
        eq(cohortRuns.definitionHash, hashDefinition(definition)),
        eq(cohortRunTasks.siteId, siteId),
        eq(siteTasks.status, "done"),
      ),
    )
    .orderBy(desc(siteTasks.finishedAt))
    .limit(1);
  if (!row?.result || !row.at) return null;
  const result = row.result as CohortCountResult;
  return { total: result.total, threshold: result.threshold, at: row.at };
}
