import * as tf from "@tensorflow/tfjs";
import type { NamedTensor } from "@/protocol/tensor-codec";
import type { TrainPayload } from "@/protocol/training";
import { TaskAbortedError } from "../site-db";
import { createRng, hashSeed } from "../site-data/random";
import { readWeights } from "@/protocol/models/weights";
import type { Examples } from "./examples";
import { proximalPenalty } from "./fedprox";
import { positiveProbability } from "./predict";

/**
 * Local training: a custom loop (rather than model.fit) so the FedProx term can join the loss,
 * the shuffle is seeded by job and round (a retried task sees the same batches), and the task can
 * stop between batches. The loss is binary cross-entropy on the positive class's probability.
 */
const EPSILON = 1e-7;

export type LocalTrainingOptions = Pick<
  TrainPayload,
  "localEpochs" | "batchSize" | "learningRate" | "optimizer" | "proximalMu"
> & {
  seed: string;
  signal: AbortSignal;
  /**
   * Image models whose spec asks for it: mirror each training example left-right with probability
   * 1/2 (seeded), so a lesion in either hemisphere teaches the same detector. Never at evaluation.
   */
  flipImages?: boolean;
  /** Called after every batch with the epoch (1-based) and the share of it done. */
  onBatch: (epoch: number, fraction: number) => Promise<void>;
};

export type LocalTrainingResult = { weights: NamedTensor[]; trainLoss: number };

export function binaryCrossEntropyLoss(probabilities: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(probabilities, EPSILON, 1 - EPSILON);
    const perExample = tf.add(tf.mul(labels, tf.log(p)), tf.mul(tf.sub(1, labels), tf.log(tf.sub(1, p))));
    return tf.neg(tf.mean(perExample)) as tf.Scalar;
  });
}

/** Trains `model` (holding the global weights) in place; returns its new weights and the last epoch's mean data loss. */
export async function trainLocally(
  model: tf.LayersModel,
  data: Examples,
  exampleShape: readonly number[],
  options: LocalTrainingOptions,
): Promise<LocalTrainingResult> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const mu = options.proximalMu ?? 0;
  const anchors = mu > 0 ? variables.map((v) => v.clone()) : [];
  const optimizer =
    options.optimizer === "adam" ? tf.train.adam(options.learningRate) : tf.train.sgd(options.learningRate);
  const xs = tf.tensor(data.x, [data.count, ...exampleShape]);
  const ys = tf.tensor1d(data.y);
  const rng = createRng(hashSeed(options.seed));
  const flips = options.flipImages === true && exampleShape.length === 3;
  let trainLoss = Number.NaN;
  try {
    for (let epoch = 1; epoch <= options.localEpochs; epoch++) {
      const order = shuffle(data.count, rng.next);
      let lossSum = 0;
      for (let start = 0; start < data.count; start += options.batchSize) {
        if (options.signal.aborted) throw new TaskAbortedError("training stopped: the task was aborted");
        const batch = order.subarray(start, start + options.batchSize);
        let dataLoss: tf.Scalar | undefined;
        tf.tidy(() => {
          const indices = tf.tensor1d(batch, "int32");
          let xb = tf.gather(xs, indices);
          if (flips) {
            const mirror = tf
              .tensor1d(
                Array.from(batch, () => (rng.next() < 0.5 ? 1 : 0)),
                "bool",
              )
              .reshape([batch.length, 1, 1, 1]);
            xb = tf.where(tf.broadcastTo(mirror, xb.shape), tf.reverse(xb, 2), xb);
          }
          const yb = tf.gather(ys, indices);
          optimizer.minimize(
            () => {
              const probabilities = positiveProbability(model.apply(xb, { training: true }) as tf.Tensor);
              const loss = binaryCrossEntropyLoss(probabilities, yb);
              // A kept copy outlives the tidy scopes, so the reported loss is the data loss without the proximal term.
              dataLoss = tf.keep(loss.clone());
              return mu > 0 ? tf.add(loss, proximalPenalty(variables, anchors, mu)) : loss;
            },
            false,
            variables,
          );
        });
        // Reading the loss asynchronously also lets lease renewals and heartbeats run between batches.
        lossSum += (await dataLoss!.data())[0]! * batch.length;
        dataLoss!.dispose();
        await options.onBatch(epoch, Math.min(1, (start + batch.length) / data.count));
      }
      trainLoss = lossSum / data.count;
    }
    return { weights: readWeights(model), trainLoss };
  } finally {
    tf.dispose([xs, ys, ...anchors]);
    optimizer.dispose();
  }
}

/** Fisher-Yates over example indices with the task's seeded generator. */
function shuffle(count: number, next: () => number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
