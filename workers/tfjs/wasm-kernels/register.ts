import {
  BatchMatMul,
  Conv2DBackpropInput,
  getKernel,
  registerKernel,
  Sum,
  unregisterKernel,
  type KernelConfig,
} from "@tensorflow/tfjs";
import { createConv2DBackpropInputConfig } from "./conv2d-backprop-input";
import { conv2DBackpropFilterConfig } from "./conv2d-backprop-filter";
import { depthwiseBackpropFilterConfig } from "./depthwise-backprop-filter";
import { depthwiseBackpropInputConfig } from "./depthwise-backprop-input";
import { createLeadingAxesSumConfig } from "./leading-axes-sum";
import { maxPoolGradConfig } from "./max-pool-grad";
import { createUntransposedMatMulConfig } from "./untransposed-mat-mul";

const MISSING_KERNELS: KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
];

/** Stock kernels that dominated a CNN training step; each wrapper keeps the stock one for cases it does not speed up. */
const STOCK_WRAPPERS: [string, (stock: KernelConfig) => KernelConfig][] = [
  [Conv2DBackpropInput, createConv2DBackpropInputConfig],
  [BatchMatMul, createUntransposedMatMulConfig],
  [Sum, createLeadingAxesSumConfig],
];

const STOCK_REPLACEMENTS: KernelConfig[] = [maxPoolGradConfig];

let registered = false;

/**
 * Adds the training kernels tfjs-backend-wasm 4.22 lacks and replaces the stock ones
 * that bottleneck CNN training. Idempotent; call before training on wasm.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  for (const config of [...MISSING_KERNELS, ...STOCK_REPLACEMENTS]) {
    replaceKernel(config);
  }
  for (const [kernelName, wrap] of STOCK_WRAPPERS) {
    const stock = getKernel(kernelName, "wasm");
    if (stock === undefined) throw new Error(`tfjs-backend-wasm has no stock ${kernelName} kernel to wrap`);
    replaceKernel(wrap(stock));
  }
  registered = true;
}

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, "wasm") !== undefined) unregisterKernel(config.kernelName, "wasm");
  registerKernel(config);
}
