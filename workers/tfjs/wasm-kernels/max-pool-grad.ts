import {
  backend_util,
  MaxPoolGrad,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from "@tensorflow/tfjs";
import { assertFloat32, assertShape } from "./conv-geometry";
import { allocateF32, asWasmBackend, heapIndexOf, viewHeapF32 } from "./wasm-access";

type Shape4D = [number, number, number, number];

/**
 * Replaces the stock wasm MaxPoolGrad, which scans every window for every input
 * pixel and dominated a CNN step. One pass over the windows: find each window's
 * first maximum (row-major, strict >, as the cpu backend does) and route dy there.
 */
const computeMaxPoolGrad: KernelFunc = ({ inputs, backend: kernelBackend, attrs }) => {
  const backend = asWasmBackend(kernelBackend);
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as MaxPoolGradAttrs;
  assertFloat32(MaxPoolGrad, { dy, input });
  const info = backend_util.computePool2DInfo(input.shape as Shape4D, filterSize, strides, 1, pad, dimRoundingMode);
  assertShape(MaxPoolGrad, "dy", dy.shape, info.outShape);

  const dx = allocateF32(backend, [...info.inShape]);
  const heap = viewHeapF32(backend);
  const x0 = heapIndexOf(backend, input);
  const dy0 = heapIndexOf(backend, dy);
  const dx0 = heapIndexOf(backend, dx);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  heap.fill(0, dx0, dx0 + batchSize * inHeight * inWidth * channels);
  // One channel at a time with scalar locals: no per-window scratch arrays to reset. A window's
  // pixels span only a few cache lines, so the per-channel strided reads stay cheap.
  const rowStride = inWidth * channels;
  for (let n = 0; n < batchSize; n++) {
    const image = n * inHeight * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const top = oh * info.strideHeight - info.padInfo.top;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(inHeight, top + info.filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const left = ow * info.strideWidth - info.padInfo.left;
        const first = image + rowStart * rowStride + Math.max(0, left) * channels;
        const rows = rowEnd - rowStart;
        const cols = Math.min(inWidth, left + info.filterWidth) - Math.max(0, left);
        const dyPixel = dy0 + ((n * outHeight + oh) * outWidth + ow) * channels;
        if (rows === 2 && cols === 2) {
          routeTwoByTwo(heap, x0 + first, dx0 + first, dyPixel, channels, rowStride);
          continue;
        }
        for (let c = 0; c < channels; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let bestAt = -1;
          for (let r = 0, rowAt = first + c; r < rows; r++, rowAt += rowStride) {
            for (let col = 0, at = rowAt; col < cols; col++, at += channels) {
              const value = heap[x0 + at] as number;
              if (value > best) {
                best = value;
                bestAt = at;
              }
            }
          }
          if (bestAt >= 0) heap[dx0 + bestAt] = (heap[dx0 + bestAt] as number) + (heap[dyPixel + c] as number);
        }
      }
    }
  }
  return dx;
};

/** The common 2x2 window unrolled; same first-maximum order (row-major, strict >) as the general loop. */
function routeTwoByTwo(
  heap: Float32Array,
  x: number,
  dx: number,
  dy: number,
  channels: number,
  rowStride: number,
): void {
  for (let c = 0; c < channels; c++) {
    const a = heap[x + c] as number;
    const b = heap[x + channels + c] as number;
    const d = heap[x + rowStride + c] as number;
    const e = heap[x + rowStride + channels + c] as number;
    let best = Number.NEGATIVE_INFINITY;
    let at = -1;
    if (a > best) {
      best = a;
      at = c;
    }
    if (b > best) {
      best = b;
      at = channels + c;
    }
    if (d > best) {
      best = d;
      at = rowStride + c;
    }
    if (e > best) at = rowStride + channels + c;
    // No value above -Infinity (all NaN or -Infinity): cpu routes nothing either.
    if (at >= 0) heap[dx + at] = (heap[dx + at] as number) + (heap[dy + c] as number);
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: "wasm",
  kernelFunc: computeMaxPoolGrad,
};
