import * as tf from "@tensorflow/tfjs";
import type { Logger } from "../log";
import { selectTrainingBackend, type BackendCapabilityReport } from "../tfjs/backend";

/**
 * The backend a task trains on: the process's fastest backend (tfjs-node-gpu, tfjs-node, then
 * wasm; see workers/tfjs/README.md), chosen once per process. wasm lacks some gradient kernels
 * even with FLIP's own registered, so a model is first given one trial training step there; if
 * a kernel is missing the task runs on cpu instead, which has them all.
 */
let selection: Promise<BackendCapabilityReport> | null = null;

export type BuiltModel = { model: tf.LayersModel; backend: string };

export async function buildOnBestBackend(
  build: () => Promise<tf.LayersModel>,
  exampleShape: readonly number[],
  log: Logger,
): Promise<BuiltModel> {
  selection ??= selectTrainingBackend();
  const report = await selection;
  // Another task may have moved the process to cpu for its model; each model starts from the best.
  if (tf.getBackend() !== report.engineBackend) await tf.setBackend(report.engineBackend);
  const model = await build();
  if (report.engineBackend !== "wasm") return { model, backend: tf.getBackend() };
  try {
    trialStep(model, exampleShape);
    return { model, backend: "wasm" };
  } catch (error) {
    log.warn("The wasm backend cannot train this model; using cpu", {
      reason: error instanceof Error ? error.message.slice(0, 200) : "unknown",
    });
    model.dispose();
    await tf.setBackend("cpu");
    return { model: await build(), backend: "cpu" };
  }
}

/** Forward and backward on two zero inputs: a missing kernel throws as soon as it is dispatched. */
function trialStep(model: tf.LayersModel, exampleShape: readonly number[]): void {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  tf.tidy(() => {
    const x = tf.zeros([2, ...exampleShape]);
    tf.variableGrads(() => tf.mean(model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
  });
}
