import { describe, expect, it } from "vitest";
import type { ModelSpec } from "../model-spec";
import { validateArchitecture } from "./validate-architecture";

type Spec = Pick<ModelSpec, "task" | "classes" | "input">;
const tabular4: Spec = {
  task: "binary_classification",
  input: {
    kind: "tabular",
    features: ["a", "b", "c", "d"].map(
      (name) =>
        ({
          name,
          from: { source: "measurement", conceptId: 1, aggregation: "latest", windowDays: 30 },
          encoding: "raw",
        }) as const,
    ),
  },
};
const image8: Spec = { task: "regression", input: { kind: "image", height: 8, width: 8, channels: 1, modality: "CT" } };

const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
const sequential = (...layers: unknown[]) => ({ class_name: "Sequential", config: { name: "m", layers } });
const mlp = (outUnits = 1, outActivation = "sigmoid") =>
  sequential(
    layer("Dense", { name: "hidden", units: 3, activation: "relu", batch_input_shape: [null, 4] }),
    layer("Dense", { name: "out", units: outUnits, activation: outActivation }),
  );

async function issues(architecture: unknown, spec: Spec, maxParameters?: number): Promise<string[]> {
  const result = await validateArchitecture(architecture, spec, { maxParameters });
  return result.ok ? [] : result.issues.map((i) => `${i.where}: ${i.message}`);
}

describe("validateArchitecture", () => {
  it("counts parameters exactly for a small MLP", async () => {
    // hidden: 4x3 kernel + 3 bias = 15; out: 3x1 kernel + 1 bias = 4.
    const result = await validateArchitecture(mlp(), tabular4);
    expect(result).toEqual({
      ok: true,
      summary: {
        kind: "Sequential",
        parameterCount: 19,
        inputShape: [null, 4],
        outputShape: [null, 1],
        outputActivation: "sigmoid",
      },
    });
  });

  it("counts conv, batch-norm and a final Activation layer, and accepts a whole model.json", async () => {
    // conv: 3x3x1x2 + 2 = 20; batch norm on 2 channels: gamma, beta, mean, variance = 8; dense 2x1 + 1 = 3.
    const topology = sequential(
      layer("Conv2D", {
        name: "conv",
        filters: 2,
        kernel_size: [3, 3],
        batch_input_shape: [null, 8, 8, 1],
        kernel_initializer: { class_name: "HeNormal", config: { seed: 1 } },
      }),
      layer("BatchNormalization", { name: "bn" }),
      layer("GlobalAveragePooling2D", { name: "gap" }),
      layer("Dense", { name: "out", units: 1 }),
      layer("Activation", { name: "act", activation: "linear" }),
    );
    const result = await validateArchitecture({ modelTopology: topology, format: "layers-model" }, image8);
    expect(result.ok && result.summary.parameterCount).toBe(31);
  });

  it("supports a Functional model", async () => {
    const functional = {
      class_name: "Functional",
      config: {
        name: "f",
        layers: [
          {
            class_name: "InputLayer",
            name: "x",
            config: { name: "x", batch_input_shape: [null, 4] },
            inbound_nodes: [],
          },
          {
            class_name: "Dense",
            name: "out",
            config: { name: "out", units: 2, activation: "softmax" },
            inbound_nodes: [[["x", 0, 0, {}]]],
          },
        ],
        input_layers: [["x", 0, 0]],
        output_layers: [["out", 0, 0]],
      },
    };
    const result = await validateArchitecture(functional, tabular4);
    expect(result.ok && result.summary).toMatchObject({
      kind: "Functional",
      parameterCount: 10,
      outputShape: [null, 2],
    });
  });

  it("refuses Lambda layers, unknown classes and custom initializers before building", async () => {
    const base = layer("Dense", { name: "in", units: 4, batch_input_shape: [null, 4] });
    expect(await issues(sequential(base, layer("Lambda", { name: "evil", function: "fetch('x')" })), tabular4)).toEqual(
      [
        'layers[1] "evil": layer type "Lambda" is not allowed (Lambda layers run code and are never accepted); use one of InputLayer, Dense, Conv2D, DepthwiseConv2D, SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, Flatten, Dropout, BatchNormalization, Activation, ReLU, Reshape',
      ],
    );
    expect((await issues(sequential(base, layer("MyLayer", { name: "mine" })), tabular4))[0]).toMatch(
      /^layers\[1\] "mine": layer type "MyLayer" is not allowed; use one of InputLayer/,
    );
    const custom = layer("Dense", {
      name: "out",
      units: 1,
      activation: "sigmoid",
      kernel_initializer: { class_name: "MyInit", config: {} },
    });
    expect(await issues(sequential(base, custom), tabular4)).toEqual([
      'layers[1] "out".kernel_initializer: initializer "MyInit" is not allowed; use one of Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling, GlorotNormal, GlorotUniform, HeNormal, HeUniform, LeCunNormal, LeCunUniform, Orthogonal',
    ]);
    const odd = layer("Dense", {
      name: "out",
      units: 1,
      activation: "gelu_custom",
      kernel_regularizer: { class_name: "L2", config: { l2: { class_name: "X" } } },
      weights_url: "http://x",
    });
    expect(await issues(sequential(base, odd), tabular4)).toEqual([
      expect.stringMatching(/^layers\[1\] "out".activation: activation "gelu_custom" is not allowed/),
      'layers[1] "out".kernel_regularizer.config: regularizer config may only hold numbers, strings, booleans and null',
      'layers[1] "out".weights_url: unknown config field "weights_url"',
    ]);
  });

  it("refuses an input shape that does not match the spec", async () => {
    const wide = sequential(
      layer("Dense", { name: "out", units: 1, activation: "sigmoid", batch_input_shape: [null, 5] }),
    );
    expect(await issues(wide, tabular4)).toEqual([
      "input: The input spec needs an input shape of [null,4]; the model takes [null,5]",
    ]);
  });

  it("refuses an output that does not match the task", async () => {
    expect(await issues(mlp(1, "relu"), tabular4)).toEqual([
      "output: binary_classification needs an output of [null,1] with sigmoid or [null,2] with softmax; the model outputs [null,1] with relu activation",
    ]);
    expect(await issues(mlp(3, "softmax"), { ...tabular4, task: "multiclass_classification", classes: 4 })).toEqual([
      "output: multiclass_classification needs an output of [null,4] with softmax; the model outputs [null,3] with softmax activation",
    ]);
    expect(await issues(mlp(1, "sigmoid"), { ...tabular4, task: "regression" })).toEqual([
      "output: regression needs an output of [null,1] with linear; the model outputs [null,1] with sigmoid activation",
    ]);
  });

  it("refuses a model over the parameter limit", async () => {
    expect(await issues(mlp(), tabular4, 18)).toEqual(["architecture: The model has 19 parameters; the limit is 18"]);
  });

  it("refuses malformed JSON shapes", async () => {
    expect(await issues("not a model", tabular4)).toEqual([expect.stringMatching(/^architecture: /)]);
    expect(await issues(sequential(), tabular4)).toEqual(["architecture.config.layers: The model has no layers"]);
    expect(await issues({ class_name: "Sequential", config: { layers: [{ class_name: "Dense" }] } }, tabular4)).toEqual(
      ["layers[0]: must be an object with class_name and config"],
    );
    expect(await issues({ ...mlp(), weightsManifest: [] }, tabular4)).toEqual([
      expect.stringMatching(/^architecture: /),
    ]);
    expect(await issues({ class_name: "Graph", config: { layers: [layer("Dense", { units: 1 })] } }, tabular4)).toEqual(
      ['class_name: "Graph" models are not supported; use a Sequential or Functional model'],
    );
  });

  it("refuses a model whose layer shapes do not fit before TF.js builds it", async () => {
    const broken = sequential(
      layer("Dense", { name: "a", units: 3, batch_input_shape: [null, 4] }),
      layer("Conv2D", { name: "c", filters: 1, kernel_size: [1, 1] }),
    );
    expect(await issues(broken, tabular4)).toEqual([
      "architecture: The model's size cannot be worked out: the output shape of layer c (Conv2D) cannot be worked out from its input",
    ]);
  });
});
