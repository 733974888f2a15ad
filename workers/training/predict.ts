import * as tf from "@tensorflow/tfjs";
import type { EvaluationMetrics } from "@/protocol/training";
import type { Examples } from "./examples";
import { computeMetrics, confusionAt, scoreHistogram, type ExactConfusion, type ExactHistogram } from "./metrics";

/** Predictions in batches, so a large validation split never needs one huge input tensor. */
const PREDICT_BATCH = 256;

/** The positive class's probability: a sigmoid unit's output, or the second unit of a 2-way softmax. */
export function positiveProbability(output: tf.Tensor): tf.Tensor1D {
  const columns = output.shape[1] ?? 1;
  return (columns === 2 ? output.slice([0, 1], [-1, 1]) : output).reshape([-1]);
}

export async function predictProbabilities(
  model: tf.LayersModel,
  examples: Examples,
  exampleShape: readonly number[],
): Promise<Float32Array> {
  const size = exampleShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(examples.count);
  for (let start = 0; start < examples.count; start += PREDICT_BATCH) {
    const n = Math.min(PREDICT_BATCH, examples.count - start);
    const probabilities = tf.tidy(() =>
      positiveProbability(
        model.predict(
          tf.tensor(examples.x.subarray(start * size, (start + n) * size), [n, ...exampleShape]),
        ) as tf.Tensor,
      ),
    );
    out.set(await probabilities.data(), start);
    probabilities.dispose();
  }
  return out;
}

/**
 * Everything measured on one split, exact: the release gate (workers/release/metrics-release.ts)
 * decides what of it may leave the site, and rounds and suppresses it there.
 */
export type SplitEvaluation = {
  examples: number;
  positives: number;
  negatives: number;
  metrics: EvaluationMetrics;
  confusion: ExactConfusion;
  histogram: ExactHistogram;
};

export async function evaluateSplit(
  model: tf.LayersModel,
  examples: Examples,
  exampleShape: readonly number[],
): Promise<SplitEvaluation> {
  const probabilities =
    examples.count > 0 ? await predictProbabilities(model, examples, exampleShape) : new Float32Array(0);
  const positives = examples.y.reduce((n, y) => n + (y === 1 ? 1 : 0), 0);
  return {
    examples: examples.count,
    positives,
    negatives: examples.count - positives,
    metrics: computeMetrics(probabilities, examples.y),
    confusion: confusionAt(probabilities, examples.y),
    histogram: scoreHistogram(probabilities, examples.y),
  };
}
