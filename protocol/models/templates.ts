import { expectedInputShape, type ModelSpec } from "../model-spec";

/**
 * Built-in architectures as plain TF.js layers JSON (what `model.toJSON()` produces, minus the
 * defaults TF.js fills in). Plain data rather than `tf.layers` calls so the browser can offer them
 * without loading TF.js, and so they go through exactly the same validator as an upload.
 */

export type TemplateSpec = Pick<ModelSpec, "task" | "classes" | "input">;

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

export interface SequentialJson {
  class_name: "Sequential";
  config: { name: string; layers: LayerJson[] };
}

export const TEMPLATE_IDS = ["small_cnn", "mlp", "logistic_regression"] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

export const TEMPLATE_INPUT_KIND: Record<TemplateId, ModelSpec["input"]["kind"]> = {
  small_cnn: "image",
  mlp: "tabular",
  logistic_regression: "tabular",
};

/** The output layer the task implies; the validator checks the same pairs. */
function outputLayer(spec: TemplateSpec): LayerJson {
  const units = spec.task === "multiclass_classification" ? (spec.classes ?? 0) : 1;
  const activation =
    spec.task === "binary_classification" ? "sigmoid" : spec.task === "regression" ? "linear" : "softmax";
  return { class_name: "Dense", config: { name: "output", units, activation } };
}

const dense = (name: string, units: number): LayerJson => ({
  class_name: "Dense",
  config: { name, units, activation: "relu" },
});

function withInput(spec: TemplateSpec, layers: LayerJson[]): LayerJson[] {
  const inputLayer: LayerJson = {
    class_name: "InputLayer",
    config: { name: "input", batch_input_shape: expectedInputShape(spec.input), dtype: "float32" },
  };
  return [inputLayer, ...layers, outputLayer(spec)];
}

const BUILDERS: Record<TemplateId, (spec: TemplateSpec) => LayerJson[]> = {
  small_cnn: (spec) => {
    // Lesion-sized findings: a 4x4 average pool first averages pixel noise away (a 3-6 px blob on a
    // 64 px slice stays a clear 1-2 px spot) and makes the convolutions cheap; two 3x3 convolutions
    // then see a ~12 px neighbourhood of the original image. Flatten (not global pooling) keeps where
    // a finding is: global pooling let the bright skull ring and air boundary swamp a small lesion.
    // Max pooling brings the map down to at most 8x8, so the dense layer stays small for any input size.
    const layers: LayerJson[] = [
      { class_name: "AveragePooling2D", config: { name: "pool_denoise", pool_size: [4, 4] } },
      {
        class_name: "Conv2D",
        config: { name: "conv_1", filters: 16, kernel_size: [3, 3], padding: "same", activation: "relu" },
      },
      {
        class_name: "Conv2D",
        config: { name: "conv_2", filters: 16, kernel_size: [3, 3], padding: "same", activation: "relu" },
      },
    ];
    const input = spec.input.kind === "image" ? spec.input : { height: 64, width: 64 };
    let size = Math.max(Math.floor(input.height / 4), Math.floor(input.width / 4), 1);
    for (let i = 1; i === 1 || size > 8; i++) {
      layers.push({ class_name: "MaxPooling2D", config: { name: `pool_${i}`, pool_size: [2, 2], padding: "same" } });
      size = Math.ceil(size / 2);
    }
    return [...layers, { class_name: "Flatten", config: { name: "flatten" } }, dense("dense_1", 32)];
  },
  mlp: () => [dense("dense_1", 64), dense("dense_2", 32)],
  logistic_regression: () => [],
};

/** Builds a template's layers JSON for a spec, or explains why the template does not fit it. */
export function buildTemplate(id: TemplateId, spec: TemplateSpec): SequentialJson {
  const kind = TEMPLATE_INPUT_KIND[id];
  if (spec.input.kind !== kind) {
    throw new Error(`The ${id} template needs ${kind} input; this model has ${spec.input.kind} input`);
  }
  return { class_name: "Sequential", config: { name: id, layers: withInput(spec, BUILDERS[id](spec)) } };
}
