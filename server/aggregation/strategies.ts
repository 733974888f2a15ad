import type { StrategyConfig } from "./strategy.schema";
import { encodeTensorsWith, type NamedTensor } from "@/protocol/tensor-codec";
import { AggregationError, type RunningSum } from "./running-sum";

/**
 * Server-side update rules. Sites send DELTAS, update_i = w_i - w_global (not full weights):
 * the norm bound and the FedAdam pseudo-gradient are both about the change a site proposes, and a
 * delta is what the hub would otherwise have to recompute from w_i. The running sum turns the
 * deltas into their example-weighted mean Δ; a strategy maps (w_global, Δ, state) to the next model.
 *
 * - FedAvg (McMahan et al. 2017): w <- w + Δ, i.e. the example-weighted mean of the site models.
 * - FedProx (Li et al. 2020): identical on the hub. Its `mu` acts only on the client, where the
 *   local loss gets + mu/2 ||w - w_global||^2 (the site's trainer, workers/training/fedprox.ts).
 *   `mu` lives in the strategy config so the hub can send it to the sites with the train task.
 * - FedAdam (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): Δ is a
 *   pseudo-gradient; m = β1 m + (1-β1) Δ; v = β2 v + (1-β2) Δ²; w <- w + η m / (√v + τ).
 *   No bias correction, as in the paper. m and v start at zero (as Flower does) and are carried
 *   between rounds: persist them with the model version (they encode with the tensor codec).
 */

export interface FedAdamState {
  m: NamedTensor[];
  v: NamedTensor[];
}

export interface ServerUpdate {
  /** Views of `weightsFile`: not to be changed. */
  weights: NamedTensor[];
  /** The next model as a tensor file, computed straight into it (encodeTensorsWith): no model-sized array besides. */
  weightsFile: Uint8Array;
  /** Only FedAdam has state; null for the others. */
  state: FedAdamState | null;
}

/** The round's example-weighted mean delta, a tensor at a time: a running sum's, or tensors in hand (`meanOfTensors`). */
export type MeanDelta = Pick<RunningSum, "meanOf">;

export function meanOfTensors(tensors: readonly NamedTensor[]): MeanDelta {
  return {
    meanOf(index, out) {
      const tensor = tensors[index];
      if (tensor?.data.length !== out.length)
        throw new AggregationError(`the mean delta's tensor ${index} does not match the model's`);
      out.set(tensor.data);
    },
  };
}

function zerosLike(tensors: readonly NamedTensor[]): NamedTensor[] {
  return tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: new Float32Array(t.data.length) }));
}

function applyFedAvg(global: readonly NamedTensor[], mean: MeanDelta): Omit<ServerUpdate, "state"> {
  const { bytes, tensors } = encodeTensorsWith(global, (t, out) => {
    mean.meanOf(t, out);
    const w = global[t]!.data;
    for (let i = 0; i < out.length; i++) out[i]! += w[i]!;
  });
  return { weights: tensors, weightsFile: bytes };
}

function applyFedAdam(
  global: readonly NamedTensor[],
  mean: MeanDelta,
  previous: FedAdamState | null,
  config: Extract<StrategyConfig, { kind: "fedadam" }>,
): ServerUpdate {
  const { serverLr, beta1, beta2, tau } = config;
  const state = previous ?? { m: zerosLike(global), v: zerosLike(global) };
  // State restored from an earlier model version must still fit this model, or m/v read as NaN.
  const fits = (tensors: NamedTensor[]) =>
    tensors.length === global.length && tensors.every((t, i) => t.data.length === global[i]!.data.length);
  if (!fits(state.m) || !fits(state.v))
    throw new Error("FedAdam state does not match the model's tensors; start it afresh for a new architecture");
  const m = zerosLike(global);
  const v = zerosLike(global);
  const { bytes, tensors } = encodeTensorsWith(global, (t, out) => {
    const w = global[t]!.data;
    const d = new Float32Array(out.length);
    mean.meanOf(t, d);
    const mPrev = state.m[t]!.data;
    const vPrev = state.v[t]!.data;
    const mNext = m[t]!.data;
    const vNext = v[t]!.data;
    for (let i = 0; i < out.length; i++) {
      const delta = d[i]!;
      // Computed in float64 and rounded once on store, so m and v do not drift from the paper's values.
      const mi = beta1 * mPrev[i]! + (1 - beta1) * delta;
      const vi = beta2 * vPrev[i]! + (1 - beta2) * delta * delta;
      mNext[i] = mi;
      vNext[i] = vi;
      out[i] = w[i]! + (serverLr * mi) / (Math.sqrt(vi) + tau);
    }
  });
  return { weights: tensors, weightsFile: bytes, state: { m, v } };
}

/** Next global model from the current one and the round's example-weighted mean delta. */
export function applyServerUpdate(
  config: StrategyConfig,
  global: readonly NamedTensor[],
  mean: MeanDelta,
  previousState: FedAdamState | null,
): ServerUpdate {
  switch (config.kind) {
    case "fedavg":
    case "fedprox":
      return { ...applyFedAvg(global, mean), state: null };
    case "fedadam":
      return applyFedAdam(global, mean, previousState, config);
  }
}
