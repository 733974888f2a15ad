import { describe, expect, test } from "vitest";
import { decodeTensors, encodeTensors, type NamedTensor } from "@/protocol/tensor-codec";
import { createRunningSum, type RunningSum } from "./running-sum";
import { applyServerUpdate, meanOfTensors } from "./strategies";
import { ZStrategyConfig } from "./strategy.schema";

/**
 * Two sites, one 3-element tensor, numbers worked out by hand:
 *   w_global = [1, 2, 3]
 *   site A: 100 examples, delta [0.5, -1, 2]  (its model [1.5, 1, 5])
 *   site B: 300 examples, delta [1.5, 1, -2]  (its model [2.5, 3, 1])
 *   weighted mean delta = (100*A + 300*B) / 400 = [500, 200, -400] / 400 = [1.25, 0.5, -1]
 */
const GLOBAL: NamedTensor[] = [{ name: "dense/kernel", shape: [3], data: new Float32Array([1, 2, 3]) }];
const DELTA_A = [{ name: "dense/kernel", shape: [3], data: new Float32Array([0.5, -1, 2]) }];
const DELTA_B = [{ name: "dense/kernel", shape: [3], data: new Float32Array([1.5, 1, -2]) }];

function roundSum(): RunningSum {
  const sum = createRunningSum(GLOBAL);
  sum.add("site-a", DELTA_A, 100);
  sum.add("site-b", DELTA_B, 300);
  return sum;
}

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, i) => expect(Math.abs(actual[i]! - value)).toBeLessThanOrEqual(1e-6));
}

describe("server strategies", () => {
  test("the running sum gives the example-weighted mean delta", () => {
    expectClose(roundSum().mean()[0]!.data, [1.25, 0.5, -1]);
  });

  test("FedAvg moves the model to the example-weighted mean of the site models", () => {
    // (100*[1.5,1,5] + 300*[2.5,3,1]) / 400 = [2.25, 2.5, 2] = w_global + mean delta
    const { weights, state } = applyServerUpdate({ kind: "fedavg" }, GLOBAL, roundSum(), null);
    expectClose(weights[0]!.data, [2.25, 2.5, 2]);
    expect(state).toBeNull();
  });

  test.each([{ kind: "fedavg" as const }, ZStrategyConfig.parse({ kind: "fedadam", serverLr: 0.1 })])(
    "$kind computes the next model straight into its tensor file: the file holds the weights, byte for byte as encoding them gives",
    (config) => {
      const { weights, weightsFile } = applyServerUpdate(config, GLOBAL, roundSum(), null);
      expect(decodeTensors(weightsFile).tensors).toEqual(weights);
      expect(Buffer.from(weightsFile).equals(Buffer.from(encodeTensors(weights)))).toBe(true);
      // The weights are the file's own values, not a copy.
      expect(weights[0]!.data.buffer).toBe(weightsFile.buffer);
    },
  );

  test("a mean delta that does not fit the model is refused", () => {
    const other = [{ name: "dense/kernel", shape: [2], data: new Float32Array(2) }];
    expect(() => applyServerUpdate({ kind: "fedavg" }, GLOBAL, meanOfTensors(other), null)).toThrow(
      "the mean delta's tensor 0 does not match the model's",
    );
    expect(() => applyServerUpdate({ kind: "fedavg" }, other, roundSum(), null)).toThrow(
      "the sum's tensor 0 does not match the model's",
    );
  });

  test("FedProx is FedAvg on the hub; mu only changes the client gradient", () => {
    const { weights } = applyServerUpdate({ kind: "fedprox", mu: 0.1 }, GLOBAL, roundSum(), null);
    expectClose(weights[0]!.data, [2.25, 2.5, 2]);
  });

  test("FedAdam follows Reddi et al. over two rounds with m and v carried", () => {
    const config = ZStrategyConfig.parse({ kind: "fedadam", serverLr: 0.1 });
    expect(config).toEqual({ kind: "fedadam", serverLr: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3 });

    // Round 1, m = v = 0, delta [1.25, 0.5, -1]:
    //   m = 0.1*delta = [0.125, 0.05, -0.1]; v = 0.01*delta^2 = [0.015625, 0.0025, 0.01]; sqrt v = [0.125, 0.05, 0.1]
    //   w = [1,2,3] + 0.1 * [0.125/0.126, 0.05/0.051, -0.1/0.101]
    const round1 = applyServerUpdate(config, GLOBAL, roundSum(), null);
    expectClose(round1.weights[0]!.data, [1.0992063492, 2.0980392157, 2.900990099]);
    expectClose(round1.state!.m[0]!.data, [0.125, 0.05, -0.1]);
    expectClose(round1.state!.v[0]!.data, [0.015625, 0.0025, 0.01]);

    // Round 2 from w = 0 with delta [0, 1, 1]:
    //   m = 0.9*[0.125,0.05,-0.1] + 0.1*[0,1,1] = [0.1125, 0.145, 0.01]
    //   v = 0.99*[0.015625,0.0025,0.01] + 0.01*[0,1,1] = [0.01546875, 0.012475, 0.0199]
    //   w = 0.1 * m / (sqrt v + 0.001) = [0.01125/0.125373, 0.0145/0.112692, 0.001/0.142067]
    const zero = [{ name: "dense/kernel", shape: [3], data: new Float32Array(3) }];
    const delta2 = [{ name: "dense/kernel", shape: [3], data: new Float32Array([0, 1, 1]) }];
    const round2 = applyServerUpdate(config, zero, meanOfTensors(delta2), round1.state);
    expectClose(round2.state!.m[0]!.data, [0.1125, 0.145, 0.01]);
    expectClose(round2.state!.v[0]!.data, [0.01546875, 0.012475, 0.0199]);
    expectClose(round2.weights[0]!.data, [0.0897319315, 0.1286698191, 0.0070389145]);
  });

  test("FedAdam refuses state carried over from a different model", () => {
    const config = ZStrategyConfig.parse({ kind: "fedadam", serverLr: 0.1 });
    const stale = {
      m: [{ name: "dense/kernel", shape: [2], data: new Float32Array(2) }],
      v: [{ name: "dense/kernel", shape: [2], data: new Float32Array(2) }],
    };
    expect(() => applyServerUpdate(config, GLOBAL, roundSum(), stale)).toThrow(
      "FedAdam state does not match the model's tensors",
    );
  });
});
