import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx, Tx } from "@/db/client";
import {
  jobs,
  jobTasks,
  models,
  modelVersions,
  projectRevisions,
  siteTasks,
  type Job,
  type Model,
  type ModelVersion,
} from "@/db/schema";
import type { Actor } from "@/server/auth/actor";
import type { Bundle } from "@/server/projects/projects.schema";
import { readArtifact } from "@/server/artifacts/artifact-store";
import { specOf, type TensorSpec } from "@/server/aggregation/validate-update";
import { decodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import type { JobConfig } from "./jobs.schema";

/** Everything round logic needs about a job, loaded once per transaction. */
export type JobContext = { job: Job; config: JobConfig; model: Model; bundle: Bundle; revisionHash: string };

export const jobActor: Actor = { type: "system", label: "training-coordinator" };

export async function loadJobContext(tx: Tx, jobId: string, options: { lock?: boolean } = {}): Promise<JobContext> {
  const query = tx
    .select({ job: jobs, model: models, bundle: projectRevisions.bundle, revisionHash: projectRevisions.bundleHash })
    .from(jobs)
    .innerJoin(models, eq(models.id, jobs.modelId))
    .innerJoin(projectRevisions, eq(projectRevisions.id, jobs.revisionId))
    .where(eq(jobs.id, jobId));
  const [row] = options.lock ? await query.for("no key update", { of: jobs }) : await query;
  if (!row) throw new Error(`job ${jobId} vanished`);
  return {
    job: row.job,
    config: row.job.config,
    model: row.model,
    bundle: row.bundle,
    revisionHash: row.revisionHash,
  };
}

export async function loadVersionById(tx: DbOrTx, versionId: string): Promise<ModelVersion> {
  const [version] = await tx.select().from(modelVersions).where(eq(modelVersions.id, versionId));
  if (!version) throw new Error(`model version ${versionId} vanished`);
  return version;
}

// Versions never change: the shapes an update must have are read once per version, not once per update.
const specs = new Map<string, TensorSpec[]>();
const MAX_SPECS = 64;

/** The tensor names and shapes of a model version's weights. */
export async function specOfVersion(db: DbOrTx, versionId: string): Promise<TensorSpec[]> {
  const known = specs.get(versionId);
  if (known) return known;
  const spec = specOf(await loadWeights(db, (await loadVersionById(db, versionId)).weightsSha256));
  specs.set(versionId, spec);
  if (specs.size > MAX_SPECS) specs.delete(specs.keys().next().value!);
  return spec;
}

// Decoded once per cached byte array (the artifact cache hands out the same one): its hash is checked once.
const decoded = new WeakMap<Uint8Array, NamedTensor[]>();

/** A stored tensor file, decoded; callers must not mutate the tensors. */
export async function loadWeights(tx: DbOrTx, sha256: string): Promise<NamedTensor[]> {
  const bytes = await readArtifact(tx, sha256);
  let tensors = decoded.get(bytes);
  if (!tensors) {
    tensors = decodeTensors(bytes).tensors;
    decoded.set(bytes, tensors);
  }
  return tensors;
}

/** The job's site tasks for one round (0 = evaluation), with their current state. */
export async function roundTasks(tx: Tx, jobId: string, round: number) {
  return tx
    .select({
      taskId: siteTasks.id,
      siteId: jobTasks.siteId,
      status: siteTasks.status,
      failureMessage: siteTasks.failureMessage,
      failureCode: siteTasks.failureCode,
      result: siteTasks.result,
      isPastDeadline: sql<boolean>`coalesce(${siteTasks.deadlineAt} < now(), false)`,
    })
    .from(jobTasks)
    .innerJoin(siteTasks, eq(siteTasks.id, jobTasks.taskId))
    .where(and(eq(jobTasks.jobId, jobId), eq(jobTasks.round, round)));
}

export const isTaskOpen = (status: string) => status === "queued" || status === "leased";
