import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { relativeError, runOn, seededNormal } from "./test-support";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface DepthwiseCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: Pad;
}

const TOLERANCE = 1e-4;

function outShape(c: DepthwiseCase): Shape4 {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, c.dilations, c.pad, undefined, true).outShape;
}

function backpropFilter(c: DepthwiseCase): tf.Tensor {
  const attrs = { strides: c.strides, dilations: c.dilations, pad: c.pad, filterShape: c.filter };
  return tf
    .engine()
    .runKernel(
      "DepthwiseConv2dNativeBackpropFilter",
      { x: seededNormal(c.x, 5), dy: seededNormal(outShape(c), 6) },
      attrs,
    ) as tf.Tensor;
}

function backpropInput(c: DepthwiseCase): tf.Tensor {
  const attrs = { strides: c.strides, dilations: c.dilations, pad: c.pad, inputShape: c.x };
  return tf
    .engine()
    .runKernel(
      "DepthwiseConv2dNativeBackpropInput",
      { dy: seededNormal(outShape(c), 6), filter: seededNormal(c.filter, 7) },
      attrs,
    ) as tf.Tensor;
}

// The cpu backend's depthwise backprop kernels ignore dilations (their loops index the
// undilated filter), so dilated cases are checked against exact gradients assembled from
// cpu's forward depthwiseConv2d, which does honour dilations.
const UNDILATED: DepthwiseCase[] = [
  { x: [2, 7, 8, 3], filter: [3, 3, 3, 1], strides: 1, dilations: 1, pad: "same" },
  { x: [2, 8, 9, 3], filter: [3, 2, 3, 2], strides: 2, dilations: 1, pad: "valid" },
  {
    x: [2, 9, 8, 2],
    filter: [3, 3, 2, 3],
    strides: [2, 1],
    dilations: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [1, 6, 6, 4], filter: [5, 5, 4, 1], strides: 2, dilations: 1, pad: "same" },
];

const DILATED: DepthwiseCase[] = [
  { x: [1, 7, 7, 2], filter: [3, 3, 2, 2], strides: 1, dilations: 2, pad: "same" },
  { x: [1, 8, 7, 2], filter: [2, 3, 2, 1], strides: 1, dilations: [2, 3], pad: "valid" },
];

/** dW[k] = <depthwiseConv(x, e_k), dy>: exact because the conv is linear in the filter. */
function exactFilterGradient(c: DepthwiseCase): tf.Tensor {
  const x = seededNormal(c.x, 5) as tf.Tensor4D;
  const dy = seededNormal(outShape(c), 6);
  const taps = c.filter.reduce((a, b) => a * b, 1);
  const values: number[] = [];
  for (let k = 0; k < taps; k++) {
    const basis = tf.oneHot(k, taps).toFloat().reshape(c.filter) as tf.Tensor4D;
    const y = tf.depthwiseConv2d(x, basis, c.strides, c.pad as "same", "NHWC", c.dilations);
    values.push(tf.sum(tf.mul(y, dy)).dataSync()[0] ?? Number.NaN);
  }
  return tf.tensor(values, c.filter);
}

/** dX[k] = <depthwiseConv(e_k, w), dy>, with every basis image convolved as one batch. */
function exactInputGradient(c: DepthwiseCase): tf.Tensor {
  const [, h, w, channels] = c.x;
  const pixels = h * w * channels;
  const basis = tf.eye(pixels).reshape([pixels, h, w, channels]) as tf.Tensor4D;
  const y = tf.depthwiseConv2d(
    basis,
    seededNormal(c.filter, 7) as tf.Tensor4D,
    c.strides,
    c.pad as "same",
    "NHWC",
    c.dilations,
  );
  const dy = seededNormal(outShape(c), 6);
  return tf.matMul(y.reshape([pixels, -1]), dy.reshape([-1, 1])).reshape(c.x);
}

describe("wasm DepthwiseConv2dNativeBackpropFilter", () => {
  it.each(UNDILATED)("matches cpu for undilated case %#", async (c) => {
    expect(
      relativeError(await runOn("cpu", () => backpropFilter(c)), await runOn("wasm", () => backpropFilter(c))),
    ).toBeLessThan(TOLERANCE);
  });

  it.each(DILATED)("matches the exact gradient for dilated case %#", async (c) => {
    const error = relativeError(
      await runOn("cpu", () => exactFilterGradient(c)),
      await runOn("wasm", () => backpropFilter(c)),
    );
    expect(error).toBeLessThan(TOLERANCE);
  });
});

describe("wasm DepthwiseConv2dNativeBackpropInput", () => {
  it.each(UNDILATED)("matches cpu for undilated case %#", async (c) => {
    expect(
      relativeError(await runOn("cpu", () => backpropInput(c)), await runOn("wasm", () => backpropInput(c))),
    ).toBeLessThan(TOLERANCE);
  });

  it.each(DILATED)("matches the exact gradient for dilated case %#", async (c) => {
    const error = relativeError(
      await runOn("cpu", () => exactInputGradient(c)),
      await runOn("wasm", () => backpropInput(c)),
    );
    expect(error).toBeLessThan(TOLERANCE);
  });

  it("names the case when the padding exceeds the dilated filter", async () => {
    await runOn("wasm", () => tf.scalar(0));
    const dy = tf.zeros([1, 7, 4, 1]);
    const filter = tf.zeros([2, 2, 1, 1]);
    const attrs = {
      strides: 1,
      dilations: 1,
      pad: [
        [0, 0],
        [3, 0],
        [0, 0],
        [0, 0],
      ],
      inputShape: [1, 5, 5, 1],
    };
    expect(() => tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter }, attrs)).toThrow(
      /padding .* is larger than the dilated filter/,
    );
    tf.dispose([dy, filter]);
  });
});
