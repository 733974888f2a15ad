import type { SecAggClient } from "@/protocol/secagg/client";
import { quantise, type SecAggParams } from "@/protocol/secagg/quantise";
import type { NamedTensor } from "@/protocol/tensor-codec";

/**
 * A site's upload for a secure-aggregation round: its clipped delta (already carrying this site's
 * share of the DP noise, workers/tasks/train.ts), weighted by its FedAvg weight in [0, 1], encoded in
 * the ring and masked. Only the masked vector leaves the site; the plain update never does.
 */
export function maskedUpload(input: {
  update: readonly NamedTensor[];
  weight: number;
  params: SecAggParams;
  client: SecAggClient;
  sharedKeys: readonly string[];
}): Uint32Array {
  const length = input.update.reduce((n, t) => n + t.data.length, 0);
  const flat = new Float32Array(length);
  let at = 0;
  for (const t of input.update) {
    flat.set(t.data, at);
    at += t.data.length;
  }
  return input.client.maskInput(quantise(flat, input.weight, input.params), input.sharedKeys);
}
