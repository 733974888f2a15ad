import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Database, Tx } from "@/db/client";
import { isTrainableTask, TRAINABLE_TASKS, type ModelTask } from "@/protocol/model-spec";
import { DEFAULT_TEST_FRACTION } from "@/protocol/training";
import { jobs, jobTasks, models, modelVersions, projectRevisions, projects, sites, trainingRounds } from "@/db/schema";
import { recordAudit } from "@/server/audit/audit.service";
import type { UserActor } from "@/server/auth/actor";
import { AppError } from "@/server/errors";
import { findBundleModel } from "@/protocol/bundle";
import { hashArchitecture } from "@/protocol/bundle-hash";
import { listApprovedSiteIds } from "@/server/projects/projects.service";
import { cancelOpenTasks } from "@/server/tasks/task-interventions";
import { loadJobContext } from "./job-context";
import { checkJobPrivacy } from "./job-privacy";
import { logJobEvent } from "./job-events";
import { discardRoundUpdates } from "./round-sums";
import type { JobConfig, TEvaluateJobInput, TTrainJobInput } from "./jobs.schema";
import { dispatchRound, startEvaluation } from "./rounds.service";
import { checkWeightBoundsReleased } from "./weight-bounds";

const TASK_NAMES: Record<ModelTask, string> = {
  binary_classification: "binary classification",
  multiclass_classification: "multi-class classification",
  regression: "regression",
};
const taskLabel = (task: ModelTask) => TASK_NAMES[task];

/**
 * Checks a job against the project's current, approved revision inside the transaction that
 * creates it: the project is active, the bundle allows the job kind and its outputs, the model
 * version belongs to the project, the bundle lists the model's task, input and outcome, and every
 * chosen site approved this exact revision.
 */
async function checkJobRequest(
  tx: Tx,
  projectId: string,
  kind: "train" | "evaluate",
  versionId: string,
  siteIds: string[],
) {
  const [project] = await tx
    .select({
      status: projects.status,
      revisionId: projectRevisions.id,
      revisionNumber: projectRevisions.number,
      bundle: projectRevisions.bundle,
    })
    .from(projects)
    .innerJoin(projectRevisions, eq(projectRevisions.id, projects.currentRevisionId))
    .where(eq(projects.id, projectId))
    .for("update", { of: projects });
  if (!project) throw new AppError("NOT_FOUND", "No project with that id.");
  if (project.status !== "active")
    throw new AppError(
      "PRECONDITION_FAILED",
      `Jobs run only in active projects; this one is ${project.status}. A site must approve the current revision first.`,
    );
  const bundle = project.bundle;
  if (!bundle.allowedJobKinds.includes(kind))
    throw new AppError(
      "PRECONDITION_FAILED",
      `The approved governance bundle does not allow ${kind} jobs. Add it to the bundle and have the sites approve the new revision.`,
    );
  const output = kind === "train" ? "model_updates" : "metrics";
  if (!bundle.outputs.includes(output))
    throw new AppError(
      "PRECONDITION_FAILED",
      `The approved governance bundle does not let ${output.replace("_", " ")} leave the sites.`,
    );
  if (!bundle.cohort)
    throw new AppError(
      "PRECONDITION_FAILED",
      "The approved bundle has no cohort definition, so sites cannot build a dataset.",
    );
  const [row] = await tx
    .select({ version: modelVersions, model: models })
    .from(modelVersions)
    .innerJoin(models, eq(models.id, modelVersions.modelId))
    .where(and(eq(modelVersions.id, versionId), eq(models.projectId, projectId)));
  if (!row) throw AppError.field("NOT_FOUND", "versionId", "No model version with that id in this project");
  if (!isTrainableTask(row.model.task))
    throw AppError.field(
      "BAD_REQUEST",
      "versionId",
      `Sites can train and evaluate ${TRAINABLE_TASKS.map(taskLabel).join(" or ")} models only; this is a ${taskLabel(row.model.task)} model, so every site would refuse it.`,
    );
  if (!findBundleModel(bundle, { ...row.model, architectureSha256: hashArchitecture(row.model.architecture) }))
    throw AppError.field(
      "PRECONDITION_FAILED",
      "versionId",
      `The approved governance bundle (revision ${project.revisionNumber}) does not list what "${row.model.name}" learns from and predicts, so no site has agreed to ${kind === "train" ? "train" : "evaluate"} it. Upload a new version of the model to add its input and outcome to the bundle, then have the sites approve the new revision.`,
    );
  const chosen = await tx
    .select({ id: sites.id, code: sites.code })
    .from(sites)
    .where(inArray(sites.id, siteIds))
    .orderBy(sites.code);
  if (chosen.length !== new Set(siteIds).size)
    throw AppError.field("NOT_FOUND", "siteIds", "One of the chosen sites does not exist");
  const approved = await listApprovedSiteIds(tx, { projectId });
  const refused = chosen.filter((s) => !approved.has(s.id)).map((s) => s.code);
  if (refused.length)
    throw AppError.field(
      "FORBIDDEN",
      "siteIds",
      `Not approved for the current revision at ${refused.join(", ")}; those sites receive no work until they approve it.`,
    );
  return { bundle, revisionId: project.revisionId, model: row.model, version: row.version, chosen };
}

export async function createTrainJob(db: Database, actor: UserActor, input: TTrainJobInput) {
  return db.transaction(async (tx) => {
    const checked = await checkJobRequest(tx, input.projectId, "train", input.versionId, input.siteIds);
    if (input.hyperparameters.rounds > checked.bundle.maxRounds) {
      throw AppError.field(
        "PRECONDITION_FAILED",
        "hyperparameters.rounds",
        `The approved bundle allows at most ${checked.bundle.maxRounds} rounds`,
      );
    }
    checkJobPrivacy(checked.bundle, input);
    await checkWeightBoundsReleased(tx, { revisionId: checked.revisionId, sites: checked.chosen });
    const config: JobConfig = {
      hyperparameters: input.hyperparameters,
      strategy: input.strategy,
      participation: input.participation,
      normBound: input.normBound,
      differentialPrivacy: input.differentialPrivacy,
      secureAggregation: input.secureAggregation || undefined,
      // Continuing from a trained version keeps its job's held-out people held out.
      split: {
        seed: await splitSeedFor(tx, checked.version.jobId),
        validationFraction: input.validationFraction,
        testFraction: DEFAULT_TEST_FRACTION,
      },
    };
    const [job] = await tx
      .insert(jobs)
      .values({
        projectId: input.projectId,
        modelId: checked.model.id,
        kind: "train",
        status: "running",
        versionId: checked.version.id,
        revisionId: checked.revisionId,
        config,
        sites: checked.chosen,
        totalRounds: input.hyperparameters.rounds,
        createdBy: actor.id,
        startedAt: new Date(),
      })
      .returning();
    await recordAudit(tx, {
      actor,
      action: "job.dispatched",
      subject: `job:${job!.id}`,
      details: {
        kind: "train",
        projectId: input.projectId,
        model: checked.model.name,
        version: checked.version.number,
        rounds: input.hyperparameters.rounds,
        strategy: input.strategy.kind,
        sites: checked.chosen.map((s) => s.code),
      },
    });
    await logJobEvent(tx, job!.id, "job_started", {
      details: {
        rounds: input.hyperparameters.rounds,
        strategy: input.strategy.kind,
        sites: checked.chosen.map((s) => s.code),
        version: checked.version.number,
      },
    });
    await dispatchRound(tx, await loadJobContext(tx, job!.id), 1, checked.version);
    return job!;
  });
}

export async function createEvaluateJob(db: Database, actor: UserActor, input: TEvaluateJobInput) {
  return db.transaction(async (tx) => {
    const checked = await checkJobRequest(tx, input.projectId, "evaluate", input.versionId, input.siteIds);
    const config: JobConfig = {
      split: {
        seed: await splitSeedFor(tx, checked.version.jobId),
        validationFraction: input.validationFraction,
        testFraction: DEFAULT_TEST_FRACTION,
      },
    };
    const [job] = await tx
      .insert(jobs)
      .values({
        projectId: input.projectId,
        modelId: checked.model.id,
        kind: "evaluate",
        status: "running",
        versionId: checked.version.id,
        revisionId: checked.revisionId,
        config,
        sites: checked.chosen,
        createdBy: actor.id,
        startedAt: new Date(),
      })
      .returning();
    await recordAudit(tx, {
      actor,
      action: "job.dispatched",
      subject: `job:${job!.id}`,
      details: {
        kind: "evaluate",
        projectId: input.projectId,
        model: checked.model.name,
        version: checked.version.number,
        sites: checked.chosen.map((s) => s.code),
      },
    });
    await logJobEvent(tx, job!.id, "job_started", {
      details: { sites: checked.chosen.map((s) => s.code), version: checked.version.number },
    });
    await startEvaluation(tx, await loadJobContext(tx, job!.id), checked.version);
    return job!;
  });
}

/** A trained version is evaluated, or trained further, with the split its training held out; anything else gets a fresh one. */
async function splitSeedFor(tx: Tx, trainingJobId: string | null): Promise<string> {
  if (!trainingJobId) return randomUUID();
  const [training] = await tx.select({ config: jobs.config }).from(jobs).where(eq(jobs.id, trainingJobId));
  return training?.config.split.seed ?? randomUUID();
}

export async function cancelJob(
  db: Database,
  actor: UserActor,
  { projectId, jobId }: { projectId: string; jobId: string },
) {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .select()
      .from(jobs)
      .where(and(eq(jobs.id, jobId), eq(jobs.projectId, projectId)))
      // Not FOR UPDATE: an update being accepted inserts rows that reference the job (a key-share lock).
      .for("no key update");
    if (!job) throw new AppError("NOT_FOUND", "No job with that id in this project.");
    if (job.status !== "running" && job.status !== "queued")
      throw new AppError("CONFLICT", `This job already ended as ${job.status}; there is nothing to cancel.`);
    await tx
      .update(jobs)
      .set({ status: "cancelled", finishedAt: new Date(), error: `Cancelled by ${actor.email}` })
      .where(eq(jobs.id, jobId));
    const open = await tx
      .update(trainingRounds)
      .set({ status: "cancelled", closedAt: new Date() })
      .where(and(eq(trainingRounds.jobId, jobId), eq(trainingRounds.status, "open")))
      .returning({ id: trainingRounds.id });
    for (const round of open) await discardRoundUpdates(tx, round.id);
    const tasks = await tx.select({ taskId: jobTasks.taskId }).from(jobTasks).where(eq(jobTasks.jobId, jobId));
    const cancelled = await cancelOpenTasks(
      tx,
      actor,
      tasks.map((t) => t.taskId),
      "The job was cancelled.",
    );
    await logJobEvent(tx, jobId, "job_cancelled", { details: { by: actor.email, tasksStopped: cancelled.length } });
    await recordAudit(tx, {
      actor,
      action: "job.cancelled",
      subject: `job:${jobId}`,
      details: { tasksStopped: cancelled.length },
    });
  });
}

export async function listJobs(db: Database, { projectId }: { projectId: string }) {
  return db
    .select({
      id: jobs.id,
      kind: jobs.kind,
      status: jobs.status,
      modelId: jobs.modelId,
      modelName: models.name,
      totalRounds: jobs.totalRounds,
      currentRound: jobs.currentRound,
      latestVersionId: jobs.latestVersionId,
      latestVersionNumber: modelVersions.number,
      latestMetrics: modelVersions.metrics,
      error: jobs.error,
      createdAt: jobs.createdAt,
      finishedAt: jobs.finishedAt,
    })
    .from(jobs)
    .innerJoin(models, eq(models.id, jobs.modelId))
    .leftJoin(modelVersions, eq(modelVersions.id, sql`coalesce(${jobs.latestVersionId}, ${jobs.versionId})`))
    .where(eq(jobs.projectId, projectId))
    .orderBy(desc(jobs.createdAt))
    .limit(50);
}
