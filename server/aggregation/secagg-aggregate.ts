import { dequantiseMean, type SecAggParams } from "@/protocol/secagg/quantise";
import type { NamedTensor } from "@/protocol/tensor-codec";
import type { TensorSpec } from "./validate-update";
import { AggregationError } from "./running-sum";

/**
 * The round's weighted mean update from the unmasked secure sum, as tensors in the global model's
 * manifest order: what the strategy (server/aggregation/strategies.ts) applies, exactly as it applies
 * a plain round's running-sum mean. `totalWeight` is the sum of the survivors' FedAvg weights.
 */
export function meanOfSecureSum(
  sum: Uint32Array,
  input: { survivors: number; totalWeight: number; params: SecAggParams; spec: readonly TensorSpec[] },
): NamedTensor[] {
  const expected = input.spec.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  if (sum.length !== expected)
    throw new AggregationError(`the secure sum has ${sum.length} values; the model has ${expected}`);
  if (!(input.totalWeight > 0)) throw new AggregationError("the survivors' FedAvg weights sum to nothing");
  const flat = dequantiseMean(sum, input.survivors, input.totalWeight, input.params);
  let at = 0;
  return input.spec.map((t) => {
    const size = t.shape.reduce((a, b) => a * b, 1);
    const data = flat.slice(at, at + size);
    at += size;
    return { name: t.name, shape: [...t.shape], data };
  });
}
