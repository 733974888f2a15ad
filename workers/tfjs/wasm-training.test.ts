import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { activateWasmBackend } from "./wasm-init";
import { relativeError, type Backend } from "./test-support";

/** Tiny CNN covering every trained kernel: conv (same + strided), depthwise, max-pool, dense. */
function buildTinyCnn(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [16, 16, 1],
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: init(1),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, activation: "relu", depthwiseInitializer: init(2) }),
  );
  model.add(
    tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, activation: "relu", kernelInitializer: init(3) }),
  );
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 2, activation: "softmax", kernelInitializer: init(4) }));
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
  return model;
}

function makeBatch(): { xs: tf.Tensor; ys: tf.Tensor } {
  const xs = tf.randomUniform([8, 16, 16, 1], 0, 1, "float32", 21);
  const ys = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0, 0, 1], "int32"), 2).toFloat();
  return { xs, ys };
}

async function useBackend(backend: Backend): Promise<void> {
  if (backend === "wasm") await activateWasmBackend();
  else await tf.setBackend("cpu");
}

async function computeGradients(backend: Backend): Promise<Float32Array[]> {
  await useBackend(backend);
  const model = buildTinyCnn();
  const { xs, ys } = makeBatch();
  const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, model.predict(xs) as tf.Tensor));
  const values = model.trainableWeights.map((weight) => {
    const grad = grads[weight.originalName];
    if (grad === undefined) throw new Error(`no gradient for ${weight.originalName}`);
    return grad.dataSync() as Float32Array;
  });
  tf.dispose([xs, ys, ...Object.values(grads)]);
  model.dispose();
  return values;
}

async function trainLosses(backend: Backend, steps: number): Promise<number[]> {
  await useBackend(backend);
  const model = buildTinyCnn();
  const { xs, ys } = makeBatch();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(Number(await model.trainOnBatch(xs, ys)));
  tf.dispose([xs, ys]);
  model.dispose();
  return losses;
}

describe("training a CNN on wasm", () => {
  it("produces the same gradients as cpu for every weight", async () => {
    const cpu = await computeGradients("cpu");
    const wasm = await computeGradients("wasm");
    expect(wasm).toHaveLength(cpu.length);
    cpu.forEach((expected, i) =>
      expect(relativeError(expected, wasm[i] ?? new Float32Array()), `weight ${i}`).toBeLessThan(1e-4),
    );
  });

  it("ends a few seeded SGD steps with the same loss as cpu", async () => {
    const cpu = await trainLosses("cpu", 5);
    const wasm = await trainLosses("wasm", 5);
    const last = (losses: number[]) => losses[losses.length - 1] ?? Number.NaN;
    expect(Math.abs(last(wasm) - last(cpu))).toBeLessThan(1e-3);
    expect(last(cpu)).toBeLessThan(cpu[0] ?? 0);
  });
});
