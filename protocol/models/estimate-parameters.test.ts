import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { estimateParameters, type LayerEntry } from "./estimate-parameters";
import { validateArchitecture } from "./validate-architecture";

/** Every allow-listed layer with non-default strides, padding and dilation, built by TF.js itself. */
function kitchenSink(): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.inputLayer({ inputShape: [33, 29, 3] }),
      tf.layers.conv2d({ filters: 5, kernelSize: [3, 5], strides: 2, padding: "same" }),
      tf.layers.batchNormalization({ center: false }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, dilationRate: 1 }),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: "valid" }),
      tf.layers.separableConv2d({ kernelSize: 2, filters: 7, depthMultiplier: 3, useBias: false }),
      tf.layers.averagePooling2d({ poolSize: 2, padding: "same" }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, padding: "same" }),
      tf.layers.reLU(),
      tf.layers.flatten(),
      tf.layers.reshape({ targetShape: [-1, 4] }),
      // TF.js leaves the -1 dimension unknown, so no Flatten may follow; the estimate resolves it.
      tf.layers.dense({ units: 6 }),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: 1, activation: "sigmoid" }),
    ],
  });
}

describe("estimateParameters", () => {
  it("agrees with TF.js countParams on every allow-listed layer", async () => {
    const model = kitchenSink();
    const topology = model.toJSON(null, false);
    if (typeof topology === "string") throw new Error("toJSON(null, false) returns an object");
    const json = topology as unknown as { config: { layers: LayerEntry[] } };
    // Compare with the model rebuilt from JSON, which is what a site gets: TF.js 4.22 does not
    // serialise SeparableConv2D's depth_multiplier, so the rebuilt layer uses 1.
    const rebuilt = await tf.models.modelFromJSON({ modelTopology: topology });
    expect(estimateParameters(json.config.layers, false)).toEqual({ parameters: rebuilt.countParams() });
    model.dispose();
    rebuilt.dispose();
  });

  it("refuses a huge model without building it", async () => {
    const huge = {
      class_name: "Sequential",
      config: {
        layers: [
          { class_name: "Flatten", config: { name: "flat", batch_input_shape: [null, 512, 512, 3] } },
          { class_name: "Dense", config: { name: "wide", units: 100_000, activation: "sigmoid" } },
        ],
      },
    };
    const before = tf.memory().numBytes;
    const result = await validateArchitecture(huge, {
      task: "binary_classification",
      input: { kind: "image", height: 512, width: 512, channels: 3, modality: "CT" },
    });
    expect(result).toEqual({
      ok: false,
      issues: [{ where: "architecture", message: "The model has 78643300000 parameters; the limit is 50000000" }],
    });
    expect(tf.memory().numBytes).toBe(before);
  });

  it("counts a Functional model's layers whatever order they are listed in, before TF.js builds anything", async () => {
    const layers = [
      {
        class_name: "Dense",
        name: "wide",
        config: { name: "wide", units: 100_000, activation: "relu" },
        inbound_nodes: [[["flat", 0, 0, {}]]],
      },
      {
        class_name: "Dense",
        name: "out",
        config: { name: "out", units: 1, activation: "sigmoid" },
        inbound_nodes: [[["wide", 0, 0, {}]]],
      },
      {
        class_name: "Flatten",
        name: "flat",
        config: { name: "flat" },
        inbound_nodes: [[["scan", 0, 0, {}]]],
      },
      {
        class_name: "InputLayer",
        name: "scan",
        config: { name: "scan", batch_input_shape: [null, 512, 512, 3], dtype: "float32" },
        inbound_nodes: [],
      },
    ];
    const functional = (list: typeof layers) => ({
      class_name: "Model",
      config: { name: "shuffled", layers: list, input_layers: [["scan", 0, 0]], output_layers: [["out", 0, 0]] },
    });
    expect(estimateParameters(layers, true)).toEqual({ parameters: 786_432 * 100_000 + 100_000 + 100_001 });
    // Listed out of order, this model would have made TF.js allocate 315 GB before the limit refused it.
    const result = await validateArchitecture(functional(layers), {
      task: "binary_classification",
      input: { kind: "image", height: 512, width: 512, channels: 3, modality: "CT" },
    });
    expect(result).toEqual({
      ok: false,
      issues: [{ where: "architecture", message: "The model has 78643400001 parameters; the limit is 50000000" }],
    });
    const dangling = layers.map((l) => (l.name === "flat" ? { ...l, inbound_nodes: [[["nowhere", 0, 0, {}]]] } : l));
    expect(estimateParameters(dangling, true)).toEqual({
      problem: "layer flat takes its input from nowhere, which is not in the model",
    });
    const cycle = layers.map((l) => (l.name === "flat" ? { ...l, inbound_nodes: [[["out", 0, 0, {}]]] } : l));
    expect(estimateParameters(cycle, true)).toEqual({ problem: "layer wide is its own input through a cycle" });
  });
});
