import { Sum, util, type KernelConfig, type KernelFunc, type SumAttrs, type TensorInfo } from "@tensorflow/tfjs";
import { allocateF32, asWasmBackend, heapIndexOf, viewHeapF32 } from "./wasm-access";

/**
 * Bias gradients reduce dy over its leading axes (N, H, W). The stock wasm Sum first
 * transposes those axes innermost; summing rows into per-channel accumulators in place
 * skips that copy. Every other reduction goes to the stock kernel.
 */
export function createLeadingAxesSumConfig(stockConfig: KernelConfig): KernelConfig {
  const stock = stockConfig.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const backend = asWasmBackend(args.backend);
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as SumAttrs;
    const axes = util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const isLeadingPrefix = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
    if (x.dtype !== "float32" || !isLeadingPrefix) return stock(args);

    const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
    const width = util.sizeFromShape(x.shape.slice(axes.length));
    const sums = new Float64Array(width);
    const heap = viewHeapF32(backend);
    let at = heapIndexOf(backend, x);
    // Four rows per pass: a quarter of the accumulator loads and stores.
    let r = 0;
    for (; r + 4 <= rows; r += 4, at += 4 * width) {
      for (let j = 0, a = at; j < width; j++, a++) {
        const rowSum =
          (heap[a] as number) +
          (heap[a + width] as number) +
          (heap[a + 2 * width] as number) +
          (heap[a + 3 * width] as number);
        sums[j] = (sums[j] as number) + rowSum;
      }
    }
    for (; r < rows; r++, at += width) {
      for (let j = 0; j < width; j++) sums[j] = (sums[j] as number) + (heap[at + j] as number);
    }
    const outShape = keepDims ? x.shape.map((size, i) => (i < axes.length ? 1 : size)) : x.shape.slice(axes.length);
    const out = allocateF32(backend, outShape);
    viewHeapF32(backend).set(sums, heapIndexOf(backend, out));
    return out;
  };
  return { kernelName: Sum, backendName: "wasm", kernelFunc, setupFunc: stockConfig.setupFunc };
}
