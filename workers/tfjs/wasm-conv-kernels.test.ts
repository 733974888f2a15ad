import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { relativeError, runOn, seededNormal } from "./test-support";

type Shape4 = [number, number, number, number];
type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: Shape4;
  filter: Shape4;
  strides: number | [number, number];
  pad: Pad;
  dataFormat: "NHWC" | "NCHW";
}

const TOLERANCE = 1e-4;
const EXPLICIT: Pad = [
  [0, 0],
  [1, 2],
  [0, 1],
  [0, 0],
];

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 8, 3], filter: [3, 3, 3, 4], strides: 1, pad: "same", dataFormat: "NHWC" },
  { x: [2, 8, 9, 3], filter: [3, 2, 3, 4], strides: 2, pad: "valid", dataFormat: "NHWC" },
  { x: [2, 9, 8, 5], filter: [3, 3, 5, 2], strides: [2, 3], pad: EXPLICIT, dataFormat: "NHWC" },
  { x: [1, 6, 6, 8], filter: [1, 1, 8, 3], strides: 1, pad: "valid", dataFormat: "NHWC" },
  { x: [2, 7, 7, 6], filter: [5, 5, 6, 4], strides: 2, pad: "same", dataFormat: "NHWC" },
  { x: [2, 3, 7, 8], filter: [3, 3, 3, 4], strides: 2, pad: "same", dataFormat: "NCHW" },
  { x: [2, 6, 7, 9], filter: [3, 3, 6, 4], strides: 1, pad: "valid", dataFormat: "NCHW" },
  // Unpadded stride 1 takes the full-width column path (one input channel, several, and a ragged right edge).
  { x: [3, 9, 10, 1], filter: [3, 3, 1, 5], strides: 1, pad: "valid", dataFormat: "NHWC" },
  { x: [2, 8, 7, 4], filter: [2, 3, 4, 3], strides: 1, pad: "valid", dataFormat: "NHWC" },
  {
    x: [2, 6, 9, 3],
    filter: [3, 4, 3, 2],
    strides: 1,
    pad: [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ],
    dataFormat: "NHWC",
  },
  // Padding only on the bottom/right: not the full-width path.
  {
    x: [2, 6, 6, 2],
    filter: [3, 3, 2, 2],
    strides: 1,
    pad: [
      [0, 0],
      [0, 2],
      [0, 1],
      [0, 0],
    ],
    dataFormat: "NHWC",
  },
  // Padding larger than the filter: the input gradient takes the stock fallback.
  {
    x: [1, 5, 5, 2],
    filter: [2, 2, 2, 3],
    strides: 1,
    pad: [
      [0, 0],
      [3, 0],
      [0, 0],
      [0, 0],
    ],
    dataFormat: "NHWC",
  },
];

function describeCase(c: ConvCase): string {
  return `x=${c.x} filter=${c.filter} strides=${c.strides} pad=${JSON.stringify(c.pad)} ${c.dataFormat}`;
}

function convOutShape(c: ConvCase): Shape4 {
  const format = c.dataFormat === "NHWC" ? "channelsLast" : "channelsFirst";
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, undefined, false, format).outShape;
}

describe("wasm Conv2DBackpropFilter", () => {
  it.each(CONV_CASES)("matches cpu for %#", async (c) => {
    const compute = () =>
      tf
        .engine()
        .runKernel(
          "Conv2DBackpropFilter",
          { x: seededNormal(c.x, 1), dy: seededNormal(convOutShape(c), 2) },
          { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, filterShape: c.filter },
        ) as tf.Tensor;
    const error = relativeError(await runOn("cpu", compute), await runOn("wasm", compute));
    expect(error, describeCase(c)).toBeLessThan(TOLERANCE);
  });

  it("names the dtype when given int32 input", async () => {
    await runOn("wasm", () => tf.scalar(0));
    const x = tf.zeros([1, 4, 4, 1], "int32");
    const dy = tf.zeros([1, 2, 2, 1]);
    expect(() =>
      tf
        .engine()
        .runKernel(
          "Conv2DBackpropFilter",
          { x, dy },
          { strides: 1, pad: "valid", dataFormat: "NHWC", filterShape: [3, 3, 1, 1] },
        ),
    ).toThrow(/float32 only; input 'x' is int32/);
    tf.dispose([x, dy]);
  });

  it("rejects a dy whose shape does not fit the geometry", async () => {
    await runOn("wasm", () => tf.scalar(0));
    const x = tf.zeros([1, 5, 5, 1]);
    const dy = tf.zeros([1, 4, 4, 1]);
    expect(() =>
      tf
        .engine()
        .runKernel(
          "Conv2DBackpropFilter",
          { x, dy },
          { strides: 1, pad: "valid", dataFormat: "NHWC", filterShape: [3, 3, 1, 1] },
        ),
    ).toThrow(/'dy' has shape \[1,4,4,1\] but the convolution geometry needs \[1,3,3,1\]/);
    tf.dispose([x, dy]);
  });
});

describe("wasm Conv2DBackpropInput (XNNPACK transposed conv)", () => {
  it.each(CONV_CASES)("matches cpu for %#", async (c) => {
    const compute = () =>
      tf
        .engine()
        .runKernel(
          "Conv2DBackpropInput",
          { dy: seededNormal(convOutShape(c), 3), filter: seededNormal(c.filter, 4) },
          { strides: c.strides, pad: c.pad, dataFormat: c.dataFormat, inputShape: c.x },
        ) as tf.Tensor;
    const error = relativeError(await runOn("cpu", compute), await runOn("wasm", compute));
    expect(error, describeCase(c)).toBeLessThan(TOLERANCE);
  });
});
