import type * as tf from "@tensorflow/tfjs";
import { validateArchitecture } from "@/protocol/models/validate-architecture";
import { buildModel, writeWeights } from "@/protocol/models/weights";
import type { NamedTensor } from "@/protocol/tensor-codec";
import type { ModelPackage } from "@/protocol/training";
import { TaskError } from "../release/failures";
import type { TaskContext } from "../tasks/base";
import { isTrainableTask } from "@/protocol/model-spec";
import { buildOnBestBackend } from "./backend";

/**
 * The round's model at the site: the architecture is validated again here (a site never trusts
 * the hub's check), the weights are downloaded and must be the version the task names, and the
 * model is built on the best backend that can train it.
 */
export type GlobalModel = { model: tf.LayersModel; backend: string; weights: NamedTensor[] };

export async function checkModelPackage(pkg: ModelPackage): Promise<void> {
  if (!isTrainableTask(pkg.task)) throw new TaskError({ reason: "model_refused" }, false, `task ${pkg.task}`);
  const validation = await validateArchitecture(pkg.architecture, {
    task: pkg.task,
    classes: pkg.classes,
    input: pkg.input,
  });
  if (!validation.ok) {
    const issues = validation.issues.slice(0, 3).map((issue) => `${issue.where}: ${issue.message}`);
    throw new TaskError({ reason: "model_refused" }, false, issues.join("; "));
  }
}

export async function loadGlobalModel(
  pkg: ModelPackage,
  exampleShape: readonly number[],
  ctx: Pick<TaskContext, "downloadWeights" | "log">,
): Promise<GlobalModel> {
  const { tensors, sha256 } = await ctx.downloadWeights();
  if (sha256 !== pkg.weightsSha256) {
    throw new TaskError(
      { reason: "model_refused" },
      false,
      "the weights' hash differs from the version the task names",
    );
  }
  const { model, backend } = await buildOnBestBackend(() => buildModel(pkg.architecture), exampleShape, ctx.log);
  try {
    writeWeights(model, tensors);
  } catch (error) {
    model.dispose();
    const reason = error instanceof Error ? error.message : "unknown";
    throw new TaskError({ reason: "model_refused" }, false, `the global weights do not fit the model: ${reason}`);
  }
  return { model, backend, weights: tensors };
}
