import * as tf from "@tensorflow/tfjs";
import type { DifferentialPrivacy } from "@/protocol/privacy/dp-settings";
import { readWeights } from "@/protocol/models/weights";
import { fillGaussian, secureUniforms } from "../privacy/gaussian";
import { TaskAbortedError } from "../site-db";
import type { Examples } from "./examples";
import { positiveProbability } from "./predict";
import { binaryCrossEntropyLoss, type LocalTrainingOptions, type LocalTrainingResult } from "./train";

export type ExampleLevelDp = NonNullable<DifferentialPrivacy["exampleLevel"]>;

/**
 * Example-level DP-SGD (Abadi et al. 2016) for local training. Each step takes a Poisson sample of
 * the training split (each example in with probability q = batchSize / n, drawn from the CSPRNG, so
 * the hub cannot know who was in it), clips each example's gradient to `clipNorm` in L2 over all
 * trainable weights, sums them, adds N(0, (noiseMultiplier × clipNorm)²) to every coordinate and
 * divides by the expected batch size q·n. The accountant (protocol/privacy/dp-settings.ts) counts
 * localEpochs × ⌈n / batchSize⌉ such steps per round. FedProx's pull towards the global model
 * depends on no example, so its gradient is added after the noise.
 */
export async function trainLocallyDpSgd(
  model: tf.LayersModel,
  data: Examples,
  exampleShape: readonly number[],
  options: LocalTrainingOptions & { exampleLevel: ExampleLevelDp },
): Promise<LocalTrainingResult> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const mu = options.proximalMu ?? 0;
  const anchors = mu > 0 ? variables.map((v) => v.clone()) : [];
  const optimizer =
    options.optimizer === "adam" ? tf.train.adam(options.learningRate) : tf.train.sgd(options.learningRate);
  const { clipNorm, noiseMultiplier } = options.exampleLevel;
  const size = exampleShape.reduce((a, b) => a * b, 1);
  const samplingRate = Math.min(1, options.batchSize / data.count);
  const expectedBatch = samplingRate * data.count;
  const stepsPerEpoch = Math.ceil(1 / samplingRate);
  const flips = options.flipImages === true && exampleShape.length === 3;
  let trainLoss = Number.NaN;
  try {
    for (let epoch = 1; epoch <= options.localEpochs; epoch++) {
      let lossSum = 0;
      let seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        if (options.signal.aborted) throw new TaskAbortedError("training stopped: the task was aborted");
        const draws = secureUniforms(data.count);
        const batch: number[] = [];
        draws.forEach((u, i) => u < samplingRate && batch.push(i));
        const flipDraws = flips ? secureUniforms(batch.length) : undefined;
        const batchLoss = tf.tidy(() => {
          let sums = variables.map((v) => tf.zerosLike(v) as tf.Tensor);
          let losses = tf.scalar(0);
          batch.forEach((index, k) => {
            let x = tf.tensor(data.x.subarray(index * size, (index + 1) * size), [1, ...exampleShape]);
            if (flipDraws && flipDraws[k]! < 0.5) x = tf.reverse(x, 2);
            const y = tf.tensor1d([data.y[index]!]);
            const { value, grads } = tf.variableGrads(
              () => binaryCrossEntropyLoss(positiveProbability(model.apply(x, { training: true }) as tf.Tensor), y),
              variables,
            );
            const perVariable = variables.map((v) => grads[v.name]!);
            const norm = tf.sqrt(tf.addN(perVariable.map((g) => tf.sum(tf.square(g)))));
            const factor = tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-12)));
            sums = sums.map((s, j) => tf.add(s, tf.mul(perVariable[j]!, factor)));
            losses = tf.add(losses, value);
          });
          const gradients: { name: string; tensor: tf.Tensor }[] = [];
          variables.forEach((v, j) => {
            const noise = new Float32Array(v.size);
            fillGaussian(noise, noiseMultiplier * clipNorm);
            let g = tf.div(tf.add(sums[j]!, tf.tensor(noise, v.shape)), expectedBatch);
            if (mu > 0) g = tf.add(g, tf.mul(tf.sub(v, anchors[j]!), mu));
            gradients.push({ name: v.name, tensor: g });
          });
          optimizer.applyGradients(gradients);
          return losses;
        });
        lossSum += (await batchLoss.data())[0]!;
        seen += batch.length;
        batchLoss.dispose();
        await options.onBatch(epoch, (step + 1) / stepsPerEpoch);
      }
      trainLoss = seen > 0 ? lossSum / seen : Number.NaN;
    }
    return { weights: readWeights(model), trainLoss };
  } finally {
    tf.dispose(anchors);
    optimizer.dispose();
  }
}
