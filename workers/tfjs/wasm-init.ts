import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "./wasm-kernels/register";

export interface WasmCapabilities {
  simd: boolean;
  threads: number;
}

let pathsConfigured = false;

/**
 * Where the .wasm binaries are on disk: in the self-contained worker (`npm run worker:build`) the
 * `wasm/` folder beside `bin/`, else next to the package's dist bundle in node_modules.
 */
function wasmDir(): string {
  const bundled = fileURLToPath(new URL("../wasm/", import.meta.url));
  if (existsSync(path.join(bundled, "tfjs-backend-wasm.wasm"))) return bundled;
  const require = createRequire(import.meta.url);
  return `${path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}${path.sep}`;
}

/** Activates the wasm backend with FLIP's training kernels. */
export async function activateWasmBackend(): Promise<WasmCapabilities> {
  if (!pathsConfigured) {
    setWasmPaths(wasmDir());
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
