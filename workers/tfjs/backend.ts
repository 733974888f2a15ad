import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { activateWasmBackend, type WasmCapabilities } from "./wasm-init";

export const BACKEND_ORDER = ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] as const;
export type TrainingBackend = (typeof BACKEND_ORDER)[number];
export const BACKEND_OVERRIDE_ENV = "FLIP_TFJS_BACKEND";

export interface GpuInfo {
  name: string;
  memoryMb: number;
}

export interface SkippedBackend {
  backend: TrainingBackend;
  reason: string;
}

/** What the heartbeat and training updates report about the backend that runs. */
export interface BackendCapabilityReport {
  backend: TrainingBackend;
  /** Name registered with the TF.js engine (`tensorflow`, `wasm`, `cpu`). */
  engineBackend: string;
  gpu: GpuInfo | null;
  wasm: WasmCapabilities | null;
  reason: string;
  fallbacks: SkippedBackend[];
}

export interface BackendSelectionOptions {
  /** Defaults to process.env[FLIP_TFJS_BACKEND]. */
  override?: string;
  /** Injected for tests; defaults to a dynamic import. */
  importModule?: (specifier: string) => Promise<unknown>;
  /** Injected for tests; defaults to asking nvidia-smi. */
  probeGpu?: () => Promise<GpuInfo | null>;
}

type Activation = { engineBackend: string; gpu: GpuInfo | null; wasm: WasmCapabilities | null };
type Activate = (options: Required<Pick<BackendSelectionOptions, "importModule" | "probeGpu">>) => Promise<Activation>;

const ACTIVATORS: Record<TrainingBackend, Activate> = {
  "tfjs-node-gpu": async ({ importModule, probeGpu }) => {
    const gpu = await probeGpu();
    if (gpu === null) throw new Error("no GPU visible (nvidia-smi found no device)");
    await importModule("@tensorflow/tfjs-node-gpu");
    return { engineBackend: await activateEngineBackend("tensorflow"), gpu, wasm: null };
  },
  "tfjs-node": async ({ importModule }) => {
    await importModule("@tensorflow/tfjs-node");
    return { engineBackend: await activateEngineBackend("tensorflow"), gpu: null, wasm: null };
  },
  wasm: async () => ({ engineBackend: "wasm", gpu: null, wasm: await activateWasmBackend() }),
  cpu: async () => ({ engineBackend: await activateEngineBackend("cpu"), gpu: null, wasm: null }),
};

/**
 * Picks and activates the fastest usable TF.js backend: tfjs-node-gpu (installed and a
 * GPU visible), tfjs-node, wasm (with FLIP's training kernels), then cpu. FLIP_TFJS_BACKEND
 * forces one; a forced backend that cannot start is an error rather than a silent fallback.
 */
export async function selectTrainingBackend(options: BackendSelectionOptions = {}): Promise<BackendCapabilityReport> {
  const override = (options.override ?? process.env[BACKEND_OVERRIDE_ENV] ?? "").trim();
  const deps = {
    importModule: options.importModule ?? importOptionalModule,
    probeGpu: options.probeGpu ?? probeNvidiaGpu,
  };
  if (override !== "") {
    const forced = parseBackend(override);
    try {
      const activation = await ACTIVATORS[forced](deps);
      return { backend: forced, ...activation, reason: `forced by ${BACKEND_OVERRIDE_ENV}=${override}`, fallbacks: [] };
    } catch (error) {
      throw new Error(`${BACKEND_OVERRIDE_ENV}=${override} but that backend cannot start: ${describeError(error)}`);
    }
  }
  const fallbacks: SkippedBackend[] = [];
  for (const backend of BACKEND_ORDER) {
    try {
      const activation = await ACTIVATORS[backend](deps);
      const reason =
        fallbacks.length === 0 ? "first choice available" : `first available after ${fallbacks.length} skipped`;
      return { backend, ...activation, reason, fallbacks };
    } catch (error) {
      fallbacks.push({ backend, reason: describeError(error) });
    }
  }
  throw new Error(`no TF.js backend could start: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join("; ")}`);
}

function parseBackend(value: string): TrainingBackend {
  const match = BACKEND_ORDER.find((name) => name === value);
  if (match === undefined) {
    throw new Error(`${BACKEND_OVERRIDE_ENV}=${value} is not one of ${BACKEND_ORDER.join(", ")}`);
  }
  return match;
}

async function activateEngineBackend(name: string): Promise<string> {
  if (tf.findBackend(name) === null && tf.findBackendFactory(name) === null) {
    throw new Error(`TF.js backend '${name}' is not registered`);
  }
  if (!(await tf.setBackend(name))) throw new Error(`TF.js backend '${name}' failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}

async function importOptionalModule(specifier: string): Promise<unknown> {
  // A variable specifier keeps bundlers and tsc from requiring optional packages at build time.
  return import(/* @vite-ignore */ specifier);
}

const execFileAsync = promisify(execFile);

async function probeNvidiaGpu(): Promise<GpuInfo | null> {
  try {
    const { stdout } = await execFileAsync(
      "nvidia-smi",
      ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
      {
        timeout: 5000,
      },
    );
    return parseNvidiaSmi(stdout);
  } catch {
    return null;
  }
}

export function parseNvidiaSmi(stdout: string): GpuInfo | null {
  const first = stdout.split("\n").find((line) => line.trim() !== "");
  if (first === undefined) return null;
  const [name, memory] = first.split(",").map((part) => part.trim());
  const memoryMb = Number(memory);
  if (!name || !Number.isFinite(memoryMb)) return null;
  return { name, memoryMb };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
