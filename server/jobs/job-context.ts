import { and, eq } from "drizzle-orm";
import type { Tx } from "@/db/client";
import { jobs, jobTasks, models, modelVersions, projectRevisions, siteTasks, type Job, type Model, type ModelVersion } from "@/db/schema";
import type { AuditActor } from "@/server/audit/audit.service";
import type { Bundle } from "@/server/projects/projects.schema";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { decodeTensors, type NamedTensor } from "@/workers/protocol/tensor-codec";
import type { JobConfig } from "./jobs.schema";

/** Everything round logic needs about a job, loaded once per transaction. */
export type JobContext = { job: Job; config: JobConfig; model: Model; bundle: Bundle; revisionHash: string };

export const jobActor: AuditActor = { type: "system", label: "training-coordinator" };

export async function loadJobContext(tx: Tx, jobId: string, options: { lock?: boolean } = {}): Promise<JobContext> {
  const query = tx
    .select({ job: jobs, model: models, bundle: projectRevisions.bundle, revisionHash: projectRevisions.bundleHash })
    .from(jobs)
    .innerJoin(models, eq(models.id, jobs.modelId))
    .innerJoin(projectRevisions, eq(projectRevisions.id, jobs.revisionId))
    .where(eq(jobs.id, jobId));
  const [row] = options.lock ? await query.for("update", { of: jobs }) : await query;
  if (!row) throw new Error(`job ${jobId} vanished`);
  return { job: row.job, config: row.job.config as JobConfig, model: row.model, bundle: row.bundle as Bundle, revisionHash: row.revisionHash };
}

export async function loadVersionById(tx: Tx, versionId: string): Promise<ModelVersion> {
  const [version] = await tx.select().from(modelVersions).where(eq(modelVersions.id, versionId));
  if (!version) throw new Error(`model version ${versionId} vanished`);
  return version;
}

// Every update of a round is checked against the same global model: keep the last few decoded.
const recentWeights = new Map<string, NamedTensor[]>();
const RECENT_WEIGHTS = 4;

/** A stored tensor file, decoded. Content-addressed, so a cached copy can never be stale; callers must not mutate it. */
export async function loadWeights(tx: Tx, sha256: string): Promise<NamedTensor[]> {
  const cached = recentWeights.get(sha256);
  if (cached) return cached;
  const tensors = decodeTensors(await getArtifactStore().get(tx, sha256)).tensors;
  recentWeights.set(sha256, tensors);
  if (recentWeights.size > RECENT_WEIGHTS) recentWeights.delete(recentWeights.keys().next().value!);
  return tensors;
}

/** The job's site tasks for one round (0 = evaluation), with their current state. */
export async function roundTasks(tx: Tx, jobId: string, round: number) {
  return tx
    .select({ taskId: siteTasks.id, siteId: jobTasks.siteId, status: siteTasks.status, failureMessage: siteTasks.failureMessage, failureCode: siteTasks.failureCode, result: siteTasks.result })
    .from(jobTasks)
    .innerJoin(siteTasks, eq(siteTasks.id, jobTasks.taskId))
    .where(and(eq(jobTasks.jobId, jobId), eq(jobTasks.round, round)));
}

export const isTaskOpen = (status: string) => status === "queued" || status === "leased";
