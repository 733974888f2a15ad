import * as tf from "@tensorflow/tfjs";
import { describe, expect, test } from "vitest";
import { clipToNorm, l2Norm, subtractWeights } from "./delta";
import { proximalPenalty } from "./fedprox";

const tensor = (name: string, values: number[]) => ({ name, shape: [values.length], data: new Float32Array(values) });

describe("the update a site uploads", () => {
  test("is w_local - w_global in the global file's order, whatever order the model lists its weights in", () => {
    const global = [tensor("dense/kernel", [1, 2]), tensor("dense/bias", [0])];
    const local = [tensor("dense/bias", [0.5]), tensor("dense/kernel", [1.5, 1])];
    expect(subtractWeights(local, global)).toEqual([tensor("dense/kernel", [0.5, -1]), tensor("dense/bias", [0.5])]);
  });

  test("is clipped to the norm bound, keeping its direction", () => {
    const update = [tensor("a", [3, 0]), tensor("b", [4])]; // norm 5
    expect(clipToNorm(update, 10)).toEqual({ norm: 5, isClipped: false });
    expect(clipToNorm(update, 2.5)).toEqual({ norm: 5, isClipped: true });
    expect(l2Norm(update)).toBeLessThanOrEqual(2.5);
    expect(l2Norm(update)).toBeCloseTo(2.5, 4);
    expect(update[0]!.data[0]! / update[1]!.data[0]!).toBeCloseTo(0.75, 6);
  });
});

describe("FedProx", () => {
  test("mu/2 ||w - w_global||^2 and its gradient mu (w - w_global)", () => {
    // w = [1.5, 1, 5], w_global = [1, 2, 3], mu = 0.1: penalty 0.05 * (0.25 + 1 + 4) = 0.2625; gradient [0.05, -0.1, 0.2].
    const w = tf.variable(tf.tensor1d([1.5, 1, 5]));
    const wGlobal = tf.tensor1d([1, 2, 3]);
    const { value, grads } = tf.variableGrads(() => proximalPenalty([w], [wGlobal], 0.1), [w]);
    expect(value.dataSync()[0]).toBeCloseTo(0.2625, 6);
    const gradient = Array.from(grads[w.name]!.dataSync());
    [0.05, -0.1, 0.2].forEach((expected, i) => expect(gradient[i]).toBeCloseTo(expected, 6));
    tf.dispose([w, wGlobal, value, ...Object.values(grads)]);
  });
});
