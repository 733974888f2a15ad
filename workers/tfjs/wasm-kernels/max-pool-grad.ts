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
  // Channels innermost keeps every heap access sequential (NHWC).
  const best = new Float32Array(channels);
  const bestAt = new Int32Array(channels);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const top = oh * info.strideHeight - info.padInfo.top;
      const rowStart = Math.max(0, top);
      const rowEnd = Math.min(inHeight, top + info.filterHeight);
      for (let ow = 0; ow < outWidth; ow++) {
        const left = ow * info.strideWidth - info.padInfo.left;
        const colStart = Math.max(0, left);
        const colEnd = Math.min(inWidth, left + info.filterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        bestAt.fill(-1);
        for (let r = rowStart; r < rowEnd; r++) {
          for (let col = colStart; col < colEnd; col++) {
            const pixel = ((n * inHeight + r) * inWidth + col) * channels;
            for (let c = 0; c < channels; c++) {
              const value = heap[x0 + pixel + c] as number;
              if (value > (best[c] as number)) {
                best[c] = value;
                bestAt[c] = pixel + c;
              }
            }
          }
        }
        const dyPixel = dy0 + ((n * outHeight + oh) * outWidth + ow) * channels;
        for (let c = 0; c < channels; c++) {
          const at = bestAt[c] as number;
          if (at >= 0) heap[dx0 + at] = (heap[dx0 + at] as number) + (heap[dyPixel + c] as number);
        }
      }
    }
  }
  return dx;
};

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: "wasm",
  kernelFunc: computeMaxPoolGrad,
};
