import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { relativeError, runOn, seededNormal } from "./test-support";

const TOLERANCE = 1e-4;

async function expectSameOnBothBackends(compute: () => tf.Tensor): Promise<void> {
  expect(relativeError(await runOn("cpu", compute), await runOn("wasm", compute))).toBeLessThan(TOLERANCE);
}

describe("wasm MaxPoolGrad replacement", () => {
  const cases = [
    { x: [2, 8, 8, 3], size: 2, strides: 2, pad: "valid" },
    { x: [2, 7, 9, 2], size: 3, strides: 2, pad: "same" },
    { x: [1, 6, 6, 4], size: [3, 2], strides: 1, pad: "valid" },
  ] as const;

  it.each(cases)("routes gradients like cpu for case %#", async (c) => {
    await expectSameOnBothBackends(() => {
      const x = seededNormal([...c.x], 8);
      const pooled = tf.maxPool(x as tf.Tensor4D, c.size as [number, number], c.strides, c.pad);
      const dy = seededNormal(pooled.shape, 9);
      return tf
        .engine()
        .runKernel(
          "MaxPoolGrad",
          { dy, input: x, output: pooled },
          { filterSize: c.size, strides: c.strides, pad: c.pad },
        ) as tf.Tensor;
    });
  });

  it("skips NaN and -Infinity like cpu in 2x2 windows", async () => {
    await expectSameOnBothBackends(() => {
      const values = [NaN, 1, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity, NaN, NaN, NaN, NaN, 5, NaN, NaN, NaN];
      const x = tf.tensor4d(values, [1, 2, 8, 1]);
      const pooled = tf.maxPool(x, 2, 2, "valid");
      const dy = tf.tensor4d([1, 2, 3, 4], pooled.shape);
      return tf
        .engine()
        .runKernel(
          "MaxPoolGrad",
          { dy, input: x, output: pooled },
          { filterSize: 2, strides: 2, pad: "valid" },
        ) as tf.Tensor;
    });
  });

  it("gives ties (e.g. ReLU zeros) to the first maximum, as cpu does", async () => {
    await expectSameOnBothBackends(() => {
      const x = tf.relu(seededNormal([2, 6, 6, 2], 10)) as tf.Tensor4D;
      const weights = tf.range(1, 19).reshape([1, 3, 3, 2]);
      return tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(input as tf.Tensor4D, 2, 2, "valid"), weights)))(x);
    });
  });
});

describe("wasm Sum and BatchMatMul wrappers", () => {
  it("sums leading axes (bias gradients) like cpu", async () => {
    await expectSameOnBothBackends(() => tf.sum(seededNormal([4, 5, 6, 7], 11), [0, 1, 2]));
    await expectSameOnBothBackends(() => tf.sum(seededNormal([4, 5, 6], 11), [0], true));
    // A row count that is not a multiple of the 4-row unroll.
    await expectSameOnBothBackends(() => tf.sum(seededNormal([3, 5, 7], 11), [0, 1]));
  });

  it("still sums other axes through the stock kernel", async () => {
    await expectSameOnBothBackends(() => tf.sum(seededNormal([4, 5, 6], 12), [1, 2]));
  });

  it.each([
    [false, true],
    [true, false],
    [true, true],
  ])("multiplies with transposeA=%s transposeB=%s like cpu", async (transposeA, transposeB) => {
    await expectSameOnBothBackends(() => {
      const a = seededNormal(transposeA ? [37, 19] : [19, 37], 13);
      const b = seededNormal(transposeB ? [23, 37] : [37, 23], 14);
      return tf.matMul(a, b, transposeA, transposeB);
    });
  });

  it.each([
    { a: [3, 8], b: [40, 8], transposeA: false, transposeB: true },
    { a: [2, 8], b: [8, 300], transposeA: false, transposeB: false },
    { a: [8, 2], b: [8, 300], transposeA: true, transposeB: false },
    { a: [1, 3, 8], b: [1, 40, 8], transposeA: false, transposeB: true },
  ])("computes (Bᵀ·Aᵀ)ᵀ when A is much smaller than B like cpu (%o)", async (c) => {
    await expectSameOnBothBackends(() =>
      tf.matMul(seededNormal(c.a, 17), seededNormal(c.b, 18), c.transposeA, c.transposeB),
    );
    const shapes = await Promise.all(
      (["cpu", "wasm"] as const).map(async (backend) => {
        await runOn(backend, () => tf.scalar(0));
        const product = tf.matMul(tf.ones(c.a), tf.ones(c.b), c.transposeA, c.transposeB);
        const shape = product.shape;
        product.dispose();
        return shape;
      }),
    );
    expect(shapes[1]).toEqual(shapes[0]);
  });

  it("keeps batched transposed products on the stock path", async () => {
    await expectSameOnBothBackends(() =>
      tf.matMul(seededNormal([3, 5, 4], 15), seededNormal([3, 6, 4], 16), false, true),
    );
  });
});
