import type { Job, Model, ModelVersion } from "@/db/schema";
import type { Bundle } from "@/server/projects/projects.schema";
import type { ModelPackage, TrainPayload, EvaluatePayload } from "@/protocol/training";

/** What a site needs to rebuild the model: the registered spec and the version's weights address. */
export function modelPackage(model: Model, version: ModelVersion): ModelPackage {
  return {
    modelId: model.id,
    versionId: version.id,
    task: model.task,
    classes: model.classes ?? undefined,
    input: model.input,
    outcome: model.outcome,
    architecture: model.architecture,
    weightsSha256: version.weightsSha256,
  };
}

export function trainPayload(
  job: Job,
  bundle: Bundle,
  model: Model,
  version: ModelVersion,
  round: number,
): TrainPayload {
  const { config } = job;
  const h = config.hyperparameters!;
  return {
    projectId: job.projectId,
    requesterId: job.createdBy,
    jobId: job.id,
    round,
    totalRounds: job.totalRounds,
    model: modelPackage(model, version),
    cohort: bundle.cohort!,
    split: config.split,
    localEpochs: h.localEpochs,
    batchSize: h.batchSize,
    learningRate: h.learningRate,
    optimizer: h.optimizer,
    proximalMu: config.strategy?.kind === "fedprox" ? config.strategy.mu : undefined,
    normBound: config.normBound!,
    minCellCount: bundle.privacy.minCellCount,
    differentialPrivacy: config.differentialPrivacy,
  };
}

export function evaluatePayload(job: Job, bundle: Bundle, model: Model, version: ModelVersion): EvaluatePayload {
  const { config } = job;
  return {
    projectId: job.projectId,
    requesterId: job.createdBy,
    jobId: job.id,
    model: modelPackage(model, version),
    cohort: bundle.cohort!,
    split: config.split,
    minCellCount: bundle.privacy.minCellCount,
  };
}
