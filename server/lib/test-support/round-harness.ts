import { asc, eq } from "drizzle-orm";
import { beforeAll } from "vitest";
import type { Database } from "@/db/client";
import { modelVersions, trainingRounds, type Site } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { acceptUpdate } from "@/server/jobs/update-intake";
import { createTrainJob } from "@/server/jobs/jobs.service";
import type { TTrainJobInput } from "@/server/jobs/jobs.schema";
import { weightsForTask } from "@/server/jobs/weights-download";
import { leaseNextTask } from "@/server/tasks/leasing";
import { decodeTensors, encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import { encodeTrainResultHeader, type TrainResult } from "@/protocol/training";
import type { LeasedTask } from "@/protocol/contract";
import { makeSite, makeUser, viewerOf } from "./fixtures";
import {
  makeTrainingProject,
  RELEASE_STATEMENT,
  RELEASED_METRICS,
  RELEASED_SPLIT,
  trainJobInput,
} from "./training-fixtures";
import { useTestDatabase } from "./test-db";

/**
 * Round logic with stand-in sites (server/jobs/*round*.test.ts): each "site" leases its task,
 * downloads the global weights the hub serves and returns a delta it chose, so every aggregate can
 * be checked by hand.
 */
export let researcher: Viewer;
/** Fresh sites per job, so one test's queued tasks never reach another's stand-in sites. */
export let sites: Site[];

/** A fresh migrated database for the file and a researcher in it; call once at the top of a test file. */
export function useRoundHarness() {
  const testDb = useTestDatabase();
  beforeAll(async () => {
    researcher = await viewerOf(testDb.db(), (await makeUser(testDb.db(), [{ role: "researcher" }])).id);
  });
  return testDb;
}

export async function startJob(db: Database, overrides: Partial<TTrainJobInput> = {}, siteCount = 3) {
  sites = [];
  for (let i = 0; i < siteCount; i++) sites.push(await makeSite(db));
  const approvers = [];
  for (const site of sites)
    approvers.push({
      approver: await viewerOf(db, (await makeUser(db, [{ role: "approver", siteId: site.id }])).id),
      siteId: site.id,
    });
  const project = await makeTrainingProject(db, researcher, approvers);
  const job = await createTrainJob(
    db,
    researcher,
    trainJobInput(
      project,
      sites.map((s) => s.id),
      overrides,
    ),
  );
  return { ...project, jobId: job.id };
}

export const metrics = RELEASED_METRICS;
export const withheld = { loss: null, accuracy: null, auc: null, sensitivity: null, specificity: null };
export const trainResult = (examples: number): TrainResult => ({
  exampleCount: examples,
  ...RELEASE_STATEMENT,
  globalValidation: { ...metrics, ...RELEASED_SPLIT },
  localValidation: metrics,
  trainLoss: 0.5,
  epochs: 1,
  backend: "cpu",
  trainingMs: 5,
});

export const withValue = (tensors: NamedTensor[], fill: (i: number) => number): NamedTensor[] =>
  tensors.map((t) => ({ ...t, data: Float32Array.from(t.data, (_, i) => fill(i)) }));

export type SiteLease = { site: Site; task: LeasedTask; global: NamedTensor[] };

export async function leaseFor(db: Database, site: Site): Promise<SiteLease> {
  const task = await leaseNextTask(db, site);
  if (!task) throw new Error(`no task for ${site.code}`);
  const { bytes } = await weightsForTask(db, site, task.taskId, task.leaseId);
  return { site, task, global: decodeTensors(bytes).tensors };
}

export function upload(
  db: Database,
  lease: SiteLease,
  delta: NamedTensor[],
  examples: number,
  header = encodeTrainResultHeader(trainResult(examples)),
) {
  return acceptUpdate(db, lease.site, {
    taskId: lease.task.taskId,
    leaseId: lease.task.leaseId,
    body: encodeTensors(delta),
    resultHeader: header,
  });
}

export async function versionWeights(db: Database, versionId: string) {
  const [version] = await db.select().from(modelVersions).where(eq(modelVersions.id, versionId));
  return {
    version: version!,
    tensors: decodeTensors(await getArtifactStore().get(db, version!.weightsSha256)).tensors,
  };
}

export async function rounds(db: Database, jobId: string) {
  return db.select().from(trainingRounds).where(eq(trainingRounds.jobId, jobId)).orderBy(asc(trainingRounds.number));
}
