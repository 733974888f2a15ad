import * as tf from "@tensorflow/tfjs";
import { SUPPRESSED } from "@/protocol/contract";
import type { EvaluationMetrics } from "@/protocol/training";
import type { Examples } from "./examples";
import { computeMetrics, NULL_METRICS } from "./metrics";

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

export type SplitEvaluation = { examples: number | typeof SUPPRESSED; metrics: EvaluationMetrics };

/**
 * Metrics on the validation split, or none at all when it has fewer examples than the
 * suppression threshold: a loss or AUC over a handful of patients can reveal them.
 */
export async function evaluateSplit(
  model: tf.LayersModel,
  examples: Examples,
  exampleShape: readonly number[],
  threshold: number,
): Promise<SplitEvaluation> {
  if (examples.count < threshold) return { examples: SUPPRESSED, metrics: NULL_METRICS };
  const probabilities = await predictProbabilities(model, examples, exampleShape);
  return { examples: examples.count, metrics: computeMetrics(probabilities, examples.y) };
}
