import { siteNoiseStd, type DifferentialPrivacy } from "@/protocol/privacy/dp-settings";
import type { SecAggClient } from "@/protocol/secagg/client";
import { quantise, type SecAggParams } from "@/protocol/secagg/quantise";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { addGaussianNoise } from "../privacy/gaussian";

/**
 * A site's update for a secure-aggregation round: the clipped delta, with this site's share of the
 * DP noise (variance 1/threshold of the total, since at least `threshold` sites' noise is in any sum
 * the hub can open), weighted by its FedAvg weight, encoded in the ring and masked. Only the masked
 * vector leaves the site; the plain update never does.
 */
export function maskedUpload(input: {
  update: NamedTensor[];
  weight: number;
  params: SecAggParams;
  client: SecAggClient;
  sharedKeys: readonly string[];
  normBound: number;
  dp?: DifferentialPrivacy;
}): Uint32Array {
  const { update, params } = input;
  if (input.dp) addGaussianNoise(update, siteNoiseStd(input.dp, input.normBound, params.threshold));
  const length = update.reduce((n, t) => n + t.data.length, 0);
  const flat = new Float32Array(length);
  let at = 0;
  for (const t of update) {
    flat.set(t.data, at);
    at += t.data.length;
  }
  return input.client.maskInput(quantise(flat, input.weight, params), input.sharedKeys);
}
