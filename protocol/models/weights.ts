import * as tf from "@tensorflow/tfjs";
import { formatShape, type NamedTensor } from "../tensor-codec";

/**
 * The one mapping between a TF.js model and the tensor files the hub and sites exchange. Tensors
 * are named by the weight's `originalName` (e.g. `dense_1/kernel`) in `model.weights` order: the
 * same names TF.js writes in a model.json weightsManifest, and stable however many models a
 * process has built (TF.js makes `name` unique per process by appending suffixes).
 */

/** Builds a model from validated layers JSON (a topology or a whole model.json), without weights. */
export async function buildModel(architecture: unknown): Promise<tf.LayersModel> {
  return tf.models.modelFromJSON({ modelTopology: topologyOf(architecture) } as Parameters<
    typeof tf.models.modelFromJSON
  >[0]);
}

/** The layers topology, whether the architecture was given as a topology or as a whole model.json. */
export function topologyOf(architecture: unknown): unknown {
  return isModelJson(architecture) ? architecture.modelTopology : architecture;
}

function isModelJson(value: unknown): value is { modelTopology: unknown } {
  return typeof value === "object" && value !== null && "modelTopology" in value;
}

/** The model's weights as named float32 tensors (copies, safe to keep after the model is disposed). */
export function readWeights(model: tf.LayersModel): NamedTensor[] {
  return model.weights.map((weight) => {
    const value = weight.read();
    return { name: weight.originalName, shape: [...value.shape], data: Float32Array.from(value.dataSync()) };
  });
}

/** Sets every weight of the model from tensors of the same names and shapes, or says which one does not fit. */
export function writeWeights(model: tf.LayersModel, tensors: readonly NamedTensor[]): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  if (byName.size !== model.weights.length) {
    throw new Error(`the weights have ${byName.size} tensors; the model has ${model.weights.length}`);
  }
  const values = model.weights.map((weight) => {
    const tensor = byName.get(weight.originalName);
    if (!tensor) throw new Error(`the weights have no tensor named ${weight.originalName}`);
    if (formatShape(tensor.shape) !== formatShape(weight.shape as number[])) {
      throw new Error(
        `tensor ${weight.originalName} has shape ${formatShape(tensor.shape)}; the model needs ${formatShape(weight.shape as number[])}`,
      );
    }
    return tf.tensor(tensor.data, tensor.shape, "float32");
  });
  model.setWeights(values);
  tf.dispose(values);
}
