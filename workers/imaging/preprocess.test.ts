import { describe, expect, test } from "vitest";
import type { ImageInput } from "@/protocol/model-spec";
import { preprocessVolume, resizeBilinear, windowIntensities } from "./preprocess";
import type { Volume } from "./volume";

describe("windowIntensities", () => {
  // A toy slice: air (0.02), tissue around 0.45 with a little noise, a bright rim (0.9), a darker spot (0.3).
  const slice = Float32Array.from({ length: 400 }, (_, i) =>
    i < 150 ? 0.02 : i < 170 ? 0.9 : i < 180 ? 0.3 : 0.45 + 0.02 * Math.sin(i),
  );

  test("centres tissue on 0, saturates air and bone, keeps a subtle darkening well below tissue", () => {
    const out = windowIntensities(slice);
    expect(out.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(out[0]).toBe(-1);
    expect(out[160]).toBe(1);
    expect(Math.abs(out[300]!)).toBeLessThan(0.3);
    expect(out[175]!).toBeLessThan(-0.9);
  });

  test("is unchanged by a scanner's brightness offset and gain", () => {
    const shifted = slice.map((v) => v * 0.8 + 0.1);
    const a = windowIntensities(slice);
    const b = windowIntensities(shifted);
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 4));
  });

  test("a flat image gives zeros, not NaN", () => {
    expect(windowIntensities(new Float32Array(16).fill(0.5)).every((v) => v === 0)).toBe(true);
  });
});

const input = (overrides: Partial<ImageInput> = {}): ImageInput => ({
  kind: "image",
  height: 2,
  width: 2,
  channels: 1,
  modality: "CT",
  ...overrides,
});
/** Three 2 x 2 slices in Hounsfield units, lowest first. */
const ct: Volume = {
  rows: 2,
  columns: 2,
  depth: 3,
  units: "hounsfield",
  voxels: Float32Array.from([0, 20, 40, 60, 50, 30, 100, -1000, 45, 45, 35, 500]),
};
const preset = (name: "brain" | "stroke" | "bone") => ({ kind: "preset" as const, preset: name });

describe("preprocessVolume against hand-computed pixels", () => {
  test("centre slice, stroke window (level 40, width 40): (HU - 40) / 20, clipped to [-1, 1]", () => {
    const out = preprocessVolume(
      ct,
      input({ preprocessing: { window: preset("stroke"), slices: { kind: "centre" } } }),
    );
    // The centre of three slices is slice 1: 50, 30, 100, -1000 HU.
    expect(Array.from(out)).toEqual([0.5, -0.5, 1, -1]);
  });

  test("brain window (40/80) and an explicit level and width", () => {
    const brain = preprocessVolume(
      ct,
      input({ preprocessing: { window: preset("brain"), slices: { kind: "centre" } } }),
    );
    expect(Array.from(brain)).toEqual([0.25, -0.25, 1, -1]);
    const custom = preprocessVolume(
      ct,
      input({ preprocessing: { window: { kind: "level_width", level: 0, width: 200 }, slices: { kind: "centre" } } }),
    );
    expect(Array.from(custom)).toEqual([0.5, 0.3, 1, -1].map(Math.fround));
  });

  test("a 2.5D stack of 3 puts the slices below, at and above the centre in channels 0, 1, 2", () => {
    const out = preprocessVolume(
      ct,
      input({ channels: 3, preprocessing: { window: preset("stroke"), slices: { kind: "stack", count: 3 } } }),
    );
    // Pixel 0: slices 0, 1, 2 = 0, 50, 45 HU -> -1, 0.5, 0.25.
    expect(Array.from(out.subarray(0, 3))).toEqual([-1, 0.5, 0.25]);
    // Pixel 3: 60, -1000, 500 HU -> 1, -1, 1.
    expect(Array.from(out.subarray(9, 12))).toEqual([1, -1, 1]);
  });

  test("a stack wider than the series repeats the edge slices", () => {
    const two: Volume = { ...ct, depth: 2, voxels: ct.voxels.subarray(0, 8) };
    const out = preprocessVolume(
      two,
      input({ channels: 3, preprocessing: { window: preset("stroke"), slices: { kind: "stack", count: 3 } } }),
    );
    // Centre of two slices is slice 1; its neighbours are slice 0 and (past the end) slice 1 again.
    expect(Array.from(out.subarray(0, 3))).toEqual([-1, 0.5, 0.5]);
  });

  test("a maximum-intensity projection takes each pixel's maximum over the slab", () => {
    const out = preprocessVolume(ct, input({ preprocessing: { window: preset("bone"), slices: { kind: "mip" } } }));
    // Max HU per pixel: 50, 45, 100, 500; bone window 400/1800: (HU - 400) / 900.
    expect(Array.from(out)).toEqual([50, 45, 100, 500].map((hu) => Math.fround((2 * (hu + 500)) / 1800 - 1)));
    const slab = preprocessVolume(
      ct,
      input({ preprocessing: { window: preset("bone"), slices: { kind: "mip", slab: 2 } } }),
    );
    // A slab of 2 around the centre (slices 0 and 1): 50, 30, 100, 60.
    expect(Array.from(slab)).toEqual([50, 30, 100, 60].map((hu) => Math.fround((2 * (hu + 500)) / 1800 - 1)));
  });

  test("resizing is half-pixel bilinear: a row 0, 10 becomes 0, 2.5, 7.5, 10", () => {
    expect(Array.from(resizeBilinear(Float32Array.from([0, 10, 0, 10]), 2, 2, 4, 1))).toEqual([0, 2.5, 7.5, 10]);
    const out = preprocessVolume(
      { rows: 1, columns: 2, depth: 1, units: "hounsfield", voxels: Float32Array.from([20, 60]) },
      input({ height: 1, width: 4, preprocessing: { window: preset("stroke"), slices: { kind: "centre" } } }),
    );
    // Resampled in HU first (20, 30, 50, 60), then windowed.
    expect(Array.from(out)).toEqual([-1, -0.5, 0.5, 1]);
  });

  test("a greyscale plane fills every channel of a 3-channel model", () => {
    const out = preprocessVolume(
      ct,
      input({ channels: 3, preprocessing: { window: preset("stroke"), slices: { kind: "centre" } } }),
    );
    expect(Array.from(out.subarray(0, 6))).toEqual([0.5, 0.5, 0.5, -0.5, -0.5, -0.5]);
  });

  test("a Hounsfield preset on an image in scanner units is refused, naming the window", () => {
    expect(() =>
      preprocessVolume(
        { ...ct, units: "scanner" },
        input({ modality: "MR", preprocessing: { window: preset("brain"), slices: { kind: "centre" } } }),
      ),
    ).toThrow("the brain window is in Hounsfield units, and this image is not a CT series in Hounsfield units");
  });

  test("without a preprocessing block the robust window runs on the centre slice (the PNG models' behaviour)", () => {
    const out = preprocessVolume(ct, input());
    expect(Array.from(out)).toEqual(Array.from(windowIntensities(ct.voxels.slice(4, 8))));
  });
});
