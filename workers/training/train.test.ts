import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel, readWeights, writeWeights } from "@/protocol/models/weights";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { buildOnBestBackend } from "./backend";
import { buildDataset } from "./dataset";
import { l2Norm, subtractWeights } from "./delta";
import type { Dataset } from "./examples";
import { evaluateSplit } from "./predict";
import { createTestSite, PROSTATE, quietLog, STROKE, testContext, type TestSite } from "../test-support/training-site";
import { trainLocally, type LocalTrainingOptions } from "./train";

/** The local trainer on the generated prostate data: it learns, FedProx holds it near the global model. */
const adminUrl = inject("pgAdminUrl");
let site: TestSite;
let dataset: Dataset;
let global: NamedTensor[];
const spec = { task: "binary_classification" as const, input: PROSTATE.model.input };
const architecture = buildTemplate("mlp", spec);

beforeAll(async () => {
  site = await createTestSite(adminUrl, 3000);
  dataset = await buildDataset(
    { ...PROSTATE, split: { seed: "trainer", validationFraction: 0.3 } },
    testContext(site),
    [0, 1],
  );
  const { model } = await buildOnBestBackend(() => buildModel(architecture), dataset.exampleShape, quietLog);
  global = readWeights(model);
  model.dispose();
});
afterAll(async () => {
  await site?.drop();
});

const options = (extra: Partial<LocalTrainingOptions> = {}): LocalTrainingOptions => ({
  localEpochs: 5,
  batchSize: 32,
  learningRate: 0.01,
  optimizer: "adam",
  seed: "job:1",
  signal: new AbortController().signal,
  onBatch: async () => undefined,
  ...extra,
});

async function trainFromGlobal(extra: Partial<LocalTrainingOptions>) {
  const { model, backend } = await buildOnBestBackend(() => buildModel(architecture), dataset.exampleShape, quietLog);
  writeWeights(model, global);
  try {
    const before = await evaluateSplit(model, dataset.validation, dataset.exampleShape);
    const local = await trainLocally(model, dataset.train, dataset.exampleShape, options(extra));
    const after = await evaluateSplit(model, dataset.validation, dataset.exampleShape);
    return { before, after, local, backend, delta: subtractWeights(local.weights, global) };
  } finally {
    model.dispose();
  }
}

describe("local training", () => {
  test("a few epochs reduce the validation loss and reach a validation AUC above 0.7, on wasm", async () => {
    const epochs: number[] = [];
    const { before, after, local, backend } = await trainFromGlobal({
      onBatch: async (epoch) => void epochs.push(epoch),
    });
    expect(backend).toBe("wasm");
    expect(after.metrics.loss).toBeLessThan(before.metrics.loss!);
    expect(after.metrics.auc).toBeGreaterThan(0.7);
    expect(Number.isFinite(local.trainLoss)).toBe(true);
    expect(new Set(epochs)).toEqual(new Set([1, 2, 3, 4, 5]));
  });

  test("the same job and round give the same update; tensors do not leak across rounds", async () => {
    const first = await trainFromGlobal({ optimizer: "sgd", localEpochs: 2 });
    const tensors = tf.memory().numTensors;
    const second = await trainFromGlobal({ optimizer: "sgd", localEpochs: 2 });
    expect(second.delta).toEqual(first.delta);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test("FedProx with a huge mu keeps the update near zero", async () => {
    const plain = await trainFromGlobal({ optimizer: "sgd", learningRate: 0.005 });
    const proximal = await trainFromGlobal({ optimizer: "sgd", learningRate: 0.005, proximalMu: 100 });
    expect(l2Norm(proximal.delta)).toBeLessThan(0.1 * l2Norm(plain.delta));
  });

  test("an aborted task stops between batches", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(trainFromGlobal({ signal: controller.signal })).rejects.toThrow(
      "training stopped: the task was aborted",
    );
  });

  test("the stroke CNN template trains on wasm with FLIP's conv kernels", async () => {
    const cnn = buildTemplate("small_cnn", { task: "binary_classification", input: STROKE.model.input });
    const { model, backend } = await buildOnBestBackend(() => buildModel(cnn), [64, 64, 1], quietLog);
    model.dispose();
    expect(backend).toBe("wasm");
  });
});
