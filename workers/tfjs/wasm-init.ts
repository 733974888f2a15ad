import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "./wasm-kernels/register";

export interface WasmCapabilities {
  simd: boolean;
  threads: number;
}

let pathsConfigured = false;

/**
 * Activates the wasm backend with FLIP's training kernels. In Node the .wasm
 * binaries must be located on disk next to the package's dist bundle.
 */
export async function activateWasmBackend(): Promise<WasmCapabilities> {
  if (!pathsConfigured) {
    const require = createRequire(import.meta.url);
    const distDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    setWasmPaths(`${distDir}${path.sep}`);
    pathsConfigured = true;
  }
  registerWasmTrainingKernels();
  const ok = await tf.setBackend("wasm");
  if (!ok) {
    throw new Error("tf.setBackend('wasm') failed to initialise the wasm backend");
  }
  await tf.ready();
  return {
    simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
    threads: getThreadsCount(),
  };
}
