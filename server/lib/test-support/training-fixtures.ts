import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { cohortRunTasks, sites } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { runCohort } from "@/server/cohorts/cohorts.service";
import type { TTrainJobInput } from "@/server/jobs/jobs.schema";
import { MIN_SITES_PER_ROUND } from "@/server/jobs/quorum.schema";
import { leaseNextTask } from "@/server/tasks/leasing";
import { completeTask } from "@/server/tasks/tasks.service";
import { AGE_BANDS, SUPPRESSED, type Cell } from "@/protocol/contract";
import { getArtifactStore } from "@/server/artifacts/artifact-store";
import { getModelVersion } from "@/server/models/models.service";
import { createApprovedProject, type ApprovedProjectSpec } from "@/server/projects/approved-project";
import { decodeTensors } from "@/protocol/tensor-codec";

let unique = 0;

/** A small tabular model spec (logistic regression on age and sex) that every test can register. */
export function logisticModel(name = `Risk model ${++unique}`) {
  return {
    spec: {
      name,
      task: "binary_classification" as const,
      input: {
        kind: "tabular" as const,
        features: [
          {
            name: "age",
            from: { source: "demographic" as const, field: "age_at_index" as const },
            encoding: "standardise" as const,
          },
          { name: "sex", from: { source: "demographic" as const, field: "sex" as const }, encoding: "binary" as const },
        ],
      },
      architecture: { kind: "template" as const, template: "logistic_regression" as const },
    },
    outcome: { name: "Stroke", conceptIds: [443454], includeDescendants: true },
    limitations: "",
  };
}

/**
 * The researcher runs the approved cohort count at the sites and each stand-in site releases
 * `total` (a multiple of 10, above any threshold the tests use): a site's weight in training is
 * bounded by it. Each site must have no other queued task.
 */
export async function releaseApprovedCount(
  db: Database,
  researcher: Viewer,
  { projectId, siteIds, total }: { projectId: string; siteIds: string[]; total: Cell },
) {
  const run = await runCohort(db, researcher, { projectId, siteIds, purpose: "approved" });
  const tasks = await db
    .select({ taskId: cohortRunTasks.taskId, site: { id: sites.id, code: sites.code } })
    .from(cohortRunTasks)
    .innerJoin(sites, eq(sites.id, cohortRunTasks.siteId))
    .where(eq(cohortRunTasks.runId, run.id));
  for (const { taskId, site } of tasks) {
    const task = await leaseNextTask(db, site);
    if (task?.taskId !== taskId) throw new Error(`${site.code} had other work queued before its cohort count`);
    const threshold = (task.payload as { minCellCount?: number }).minCellCount ?? 10;
    await completeTask(db, site, {
      taskId,
      leaseId: task.leaseId,
      result: {
        threshold,
        rounding: 10,
        total,
        attrition: [{ rule: "Entry event and demographics", remaining: total }],
        ageBands: AGE_BANDS.map((band) => ({ band, persons: SUPPRESSED })),
        sex: (["male", "female", "other"] as const).map((sex) => ({ sex, persons: SUPPRESSED })),
      },
    });
  }
  return run;
}

/**
 * An active project approved at the given sites with a registered model (`model`, by default a
 * logistic one) whose spec the approved bundle lists; each site has released an approved count
 * of `releasedCount` (1000) unless it is null.
 */
export async function makeTrainingProject(
  db: Database,
  researcher: Viewer,
  approvers: { approver: Viewer; siteId: string }[],
  options: { maxRounds?: number; releasedCount?: Cell | null; model?: ApprovedProjectSpec["model"] } = {},
) {
  const project = await createApprovedProject(db, researcher, {
    title: `Training project ${++unique}`,
    purpose: "Predict stroke from age and sex across sites, for the tests.",
    cohort: {
      version: 1,
      entry: { type: "visit", concepts: [{ conceptId: 9202, includeDescendants: true }] },
      inclusionRules: [],
    },
    approvers,
    model: options.model ?? logisticModel(),
    maxRounds: options.maxRounds,
  });
  const total = options.releasedCount === undefined ? 1000 : options.releasedCount;
  if (total !== null)
    await releaseApprovedCount(db, researcher, {
      projectId: project.projectId,
      siteIds: approvers.map((a) => a.siteId),
      total,
    });
  return project;
}

/** A version's weights as an uploaded TF.js model (model.json + one base64 weight file). */
export async function tfjsUploadOf(db: Database, projectId: string, versionId: string) {
  const { version, model } = await getModelVersion(db, { projectId, versionId });
  const { tensors } = decodeTensors(await getArtifactStore().get(db, version.weightsSha256));
  const bytes = Buffer.concat(tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
  return {
    modelJson: {
      modelTopology: model.architecture,
      weightsManifest: [
        {
          paths: ["group1-shard1of1.bin"],
          weights: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: "float32" })),
        },
      ],
    },
    weightFiles: { "group1-shard1of1.bin": bytes.toString("base64") },
  };
}

/** A training job request with small, valid defaults; tests override what they are about. */
export function trainJobInput(
  project: { projectId: string; versionId: string },
  siteIds: string[],
  overrides: Partial<TTrainJobInput> = {},
): TTrainJobInput {
  return {
    projectId: project.projectId,
    versionId: project.versionId,
    hyperparameters: { rounds: 2, localEpochs: 1, batchSize: 8, learningRate: 0.1, optimizer: "sgd" },
    strategy: { kind: "fedavg" },
    participation: { minSites: MIN_SITES_PER_ROUND, roundDeadlineSeconds: 600 },
    siteIds,
    normBound: 10,
    validationFraction: 0.2,
    secureAggregation: false,
    ...overrides,
  };
}

const scoreBins = (filled: Record<number, number>) =>
  Array.from({ length: 20 }, (_, k) => filled[k] ?? ("suppressed" as const));

/**
 * A validation or test split as a site's release gate lets it out (threshold 10, rounding 5,
 * metrics to 2 places), with counts that agree with its metrics: 10 positives in score bin 10, 10
 * negatives in bin 5 and 10 in bin 10, so AUC 0.75, sensitivity 1, specificity 0.5 at 0.5.
 */
export const RELEASED_SPLIT = {
  examples: 30,
  positives: 10,
  negatives: 20,
  confusion: { tp: 10, fn: "suppressed" as const, tn: 10, fp: 10 },
  histogram: { positive: scoreBins({ 10: 10 }), negative: scoreBins({ 5: 10, 10: 10 }) },
};
export const RELEASED_METRICS = { loss: 0.6, accuracy: 0.67, auc: 0.75, sensitivity: 1, specificity: 0.5 };
export const RELEASE_STATEMENT = { threshold: 10, rounding: 5, metricDecimals: 2 };
