import * as tf from "@tensorflow/tfjs";

const IMAGE_SHAPE = [64, 64, 1] as const;
const CLASSES = 2;

/** The reference CNN: two 3x3 convs (16, 32 filters) with max-pooling, dense 64, softmax 2. */
export function buildReferenceCnn(seed = 7): tf.LayersModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  const model = tf.sequential();
  model.add(
    tf.layers.conv2d({
      inputShape: [...IMAGE_SHAPE],
      filters: 16,
      kernelSize: 3,
      activation: "relu",
      kernelInitializer: init(0),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", kernelInitializer: init(1) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: init(2) }));
  model.add(tf.layers.dense({ units: CLASSES, activation: "softmax", kernelInitializer: init(3) }));
  compileForTraining(model);
  return model;
}

/** Dense-only baseline on the same input: shows what wasm reaches without convolutions. */
export function buildReferenceMlp(seed = 7): tf.LayersModel {
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: seed + offset });
  const model = tf.sequential();
  model.add(tf.layers.flatten({ inputShape: [...IMAGE_SHAPE] }));
  model.add(tf.layers.dense({ units: 256, activation: "relu", kernelInitializer: init(0) }));
  model.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: init(1) }));
  model.add(tf.layers.dense({ units: CLASSES, activation: "softmax", kernelInitializer: init(2) }));
  compileForTraining(model);
  return model;
}

function compileForTraining(model: tf.LayersModel): void {
  model.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy" });
}

/** Multiply-add flops of one training step (forward + both backward products), elementwise ops excluded. */
export function countTrainingFlops(model: tf.LayersModel, batch: number): number {
  let flops = 0;
  model.layers.forEach((layer, index) => {
    const forward = countForwardFlops(layer);
    // The first layer needs no input gradient.
    flops += forward * (index === 0 ? 2 : 3);
  });
  return flops * batch;
}

function countForwardFlops(layer: tf.layers.Layer): number {
  const weights = layer.getWeights()[0];
  if (weights === undefined) return 0;
  const outShape = layer.outputShape as (number | null)[];
  const outPixels = outShape.slice(1, -1).reduce<number>((product, size) => product * (size ?? 1), 1);
  return 2 * outPixels * weights.size;
}

export function makeBatch(batch: number, seed = 11): { xs: tf.Tensor4D; ys: tf.Tensor2D } {
  return tf.tidy(() => {
    const xs = tf.randomUniform([batch, ...IMAGE_SHAPE], 0, 1, "float32", seed) as tf.Tensor4D;
    const labels = tf.randomUniform([batch], 0, CLASSES, "int32", seed + 1) as tf.Tensor1D;
    return { xs, ys: tf.oneHot(labels, CLASSES).toFloat() as tf.Tensor2D };
  });
}
