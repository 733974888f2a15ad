import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { parseNvidiaSmi, selectTrainingBackend } from "./backend";

const missingModule = async (specifier: string): Promise<unknown> => {
  throw new Error(`Cannot find package '${specifier}'`);
};

/** Stands in for tfjs-node(-gpu): importing it registers a 'tensorflow' backend. */
const fakeNodeBinding = async (): Promise<unknown> => {
  await tf.setBackend("cpu");
  const cpu = tf.findBackend("cpu");
  if (cpu === null) throw new Error("cpu backend missing");
  const CpuBackend = cpu.constructor as new () => tf.KernelBackend;
  tf.registerBackend("tensorflow", () => new CpuBackend(), 0);
  return {};
};

afterEach(() => {
  if (tf.findBackendFactory("tensorflow") !== null) tf.removeBackend("tensorflow");
});

describe("selectTrainingBackend", () => {
  it("falls back to wasm when neither tfjs-node package is installed, listing why", async () => {
    const report = await selectTrainingBackend({
      override: "",
      importModule: missingModule,
      probeGpu: async () => null,
    });
    expect(report.backend).toBe("wasm");
    expect(report.engineBackend).toBe("wasm");
    expect(report.gpu).toBeNull();
    expect(report.wasm?.simd).toBeTypeOf("boolean");
    expect(report.fallbacks.map((f) => f.backend)).toEqual(["tfjs-node-gpu", "tfjs-node"]);
    expect(report.fallbacks[0]?.reason).toMatch(/no GPU visible/);
    expect(report.fallbacks[1]?.reason).toMatch(/Cannot find package '@tensorflow\/tfjs-node'/);
  });

  it("prefers tfjs-node-gpu when it is installed and a GPU is visible", async () => {
    const gpu = { name: "NVIDIA T4", memoryMb: 15360 };
    const report = await selectTrainingBackend({
      override: "",
      importModule: fakeNodeBinding,
      probeGpu: async () => gpu,
    });
    expect(report).toMatchObject({ backend: "tfjs-node-gpu", engineBackend: "tensorflow", gpu, fallbacks: [] });
  });

  it("uses tfjs-node when no GPU is visible", async () => {
    const report = await selectTrainingBackend({
      override: "",
      importModule: fakeNodeBinding,
      probeGpu: async () => null,
    });
    expect(report.backend).toBe("tfjs-node");
    expect(report.fallbacks).toHaveLength(1);
  });

  it("honours FLIP_TFJS_BACKEND", async () => {
    const report = await selectTrainingBackend({
      override: "cpu",
      importModule: fakeNodeBinding,
      probeGpu: async () => null,
    });
    expect(report).toMatchObject({ backend: "cpu", engineBackend: "cpu", reason: "forced by FLIP_TFJS_BACKEND=cpu" });
  });

  it("fails loudly when the forced backend cannot start or is unknown", async () => {
    await expect(selectTrainingBackend({ override: "tfjs-node", importModule: missingModule })).rejects.toThrow(
      /FLIP_TFJS_BACKEND=tfjs-node but that backend cannot start/,
    );
    await expect(selectTrainingBackend({ override: "webgpu" })).rejects.toThrow(
      /not one of tfjs-node-gpu, tfjs-node, wasm, cpu/,
    );
  });
});

describe("parseNvidiaSmi", () => {
  it("reads the first GPU's name and memory", () => {
    expect(parseNvidiaSmi("NVIDIA A100-SXM4-40GB, 40960\nNVIDIA A100-SXM4-40GB, 40960\n")).toEqual({
      name: "NVIDIA A100-SXM4-40GB",
      memoryMb: 40960,
    });
  });

  it("returns null for empty or malformed output", () => {
    expect(parseNvidiaSmi("")).toBeNull();
    expect(parseNvidiaSmi("No devices were found")).toBeNull();
  });
});
