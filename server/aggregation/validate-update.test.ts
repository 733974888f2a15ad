import { describe, expect, test } from "vitest";
import type { NamedTensor } from "@/protocol/tensor-codec";
import { specOf, validateUpdate } from "./validate-update";

function model(conv: number[] = [3, 3, 1, 16]): NamedTensor[] {
  return [
    { name: "conv1/kernel", shape: conv, data: new Float32Array(conv.reduce((a, b) => a * b, 1)) },
    { name: "dense/bias", shape: [16], data: new Float32Array(16) },
  ];
}
const EXPECTED = specOf(model());

describe("update validation", () => {
  test("accepts a matching update and reports its norm", () => {
    expect(validateUpdate(model(), EXPECTED, 10)).toEqual({ ok: true, norm: 0 });
  });

  test("refuses a tensor of the wrong shape", () => {
    expect(validateUpdate(model([3, 3, 1, 8]), EXPECTED, 10)).toEqual({
      ok: false,
      code: "tensor_mismatch",
      reason: "tensor conv1/kernel has shape [3,3,1,8], expected [3,3,1,16]",
    });
  });

  test("refuses tensors in the wrong order, with a wrong name, or missing", () => {
    expect(validateUpdate([...model()].reverse(), EXPECTED, 10)).toMatchObject({
      ok: false,
      reason: "tensor 0 is dense/bias, expected conv1/kernel",
    });
    const renamed = model();
    renamed[1]!.name = "dense/b";
    expect(validateUpdate(renamed, EXPECTED, 10)).toMatchObject({
      ok: false,
      reason: "tensor 1 is dense/b, expected dense/bias",
    });
    expect(validateUpdate(model().slice(0, 1), EXPECTED, 10)).toMatchObject({
      ok: false,
      reason: "update has 1 tensors, expected 2",
    });
  });

  test("refuses NaN and infinite values, naming the first one", () => {
    const withNaN = model();
    withNaN[1]!.data[12] = Number.NaN;
    expect(validateUpdate(withNaN, EXPECTED, 10)).toEqual({
      ok: false,
      code: "non_finite",
      reason: "value 12 of dense/bias is NaN",
    });

    const withInfinity = model();
    withInfinity[0]!.data[7] = Number.POSITIVE_INFINITY;
    withInfinity[0]!.data[9] = Number.NEGATIVE_INFINITY;
    expect(validateUpdate(withInfinity, EXPECTED, 10)).toMatchObject({
      ok: false,
      reason: "value 7 of conv1/kernel is Infinity",
    });
  });

  test("refuses an update over the norm bound and accepts one exactly at it", () => {
    const large = model();
    large[1]!.data[0] = 53.2;
    expect(validateUpdate(large, EXPECTED, 10)).toEqual({
      ok: false,
      code: "norm_exceeded",
      reason: "update norm 53.2 exceeds the job's bound 10",
    });

    // 3-4-5: the norm is exactly 5 in float64.
    const atBound = model();
    atBound[0]!.data[0] = 3;
    atBound[1]!.data[5] = -4;
    expect(validateUpdate(atBound, EXPECTED, 5)).toEqual({ ok: true, norm: 5 });
    expect(validateUpdate(atBound, EXPECTED, 4.999)).toMatchObject({ ok: false, code: "norm_exceeded" });
  });
});
