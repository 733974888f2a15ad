import type * as tf from "@tensorflow/tfjs";
import { trainLocallyDpSgd } from "@/workers/training/dp-sgd";
import { trainLocally, type LocalTrainingOptions } from "@/workers/training/train";
import { timeBest } from "./measure";
import { buildReferenceMlp } from "./reference-models";

/**
 * The cost of example-level DP-SGD (per-example gradients, clipping, CSPRNG noise) against plain
 * local training: the worker's own two training loops, one epoch each over the same examples with
 * the same batch size and model, in the same run.
 */
const EXAMPLES = 256;
const BATCH = 32;
const SHAPE = [64, 64, 1];

export async function measureDpSgdCost(repeats: number): Promise<{ plain: number; dp: number; ratio: number }> {
  const size = SHAPE.reduce((a, b) => a * b, 1);
  const x = new Float32Array(EXAMPLES * size).map(() => Math.random());
  const y = new Float32Array(EXAMPLES).map(() => (Math.random() < 0.5 ? 1 : 0));
  const data = { x, y, count: EXAMPLES };
  const options: LocalTrainingOptions = {
    localEpochs: 1,
    batchSize: BATCH,
    learningRate: 0.01,
    optimizer: "sgd",
    seed: "bench",
    signal: new AbortController().signal,
    onBatch: async () => undefined,
  };
  const time = async (train: (model: tf.LayersModel) => Promise<unknown>) => {
    const model = buildReferenceMlp();
    await train(model);
    const ms = await timeBest(async () => void (await train(model)), repeats);
    model.dispose();
    return (EXAMPLES * 1000) / ms;
  };
  const plain = await time((model) => trainLocally(model, data, SHAPE, options));
  const dp = await time((model) =>
    trainLocallyDpSgd(model, data, SHAPE, { ...options, exampleLevel: { noiseMultiplier: 1.1, clipNorm: 1 } }),
  );
  return { plain, dp, ratio: plain / dp };
}
