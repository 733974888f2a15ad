import * as tf from "@tensorflow/tfjs";

/**
 * Client side of FedProx (Li et al. 2020): mu/2 ||w - w_global||^2 over the trainable weights,
 * added to the local loss at every step. Its gradient, mu (w - w_global), pulls each site's local
 * epochs back towards the round's starting model; the hub aggregates exactly as for FedAvg.
 */
export function proximalPenalty(
  weights: readonly tf.Tensor[],
  globalWeights: readonly tf.Tensor[],
  mu: number,
): tf.Scalar {
  return tf.tidy(() => {
    const squared = weights.map((w, i) => tf.sum(tf.squaredDifference(w, globalWeights[i]!)));
    return tf.mul(tf.addN(squared), mu / 2) as tf.Scalar;
  });
}
