import type { TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { ConvGeometry } from "./conv-geometry";
import { allocateF32, heapIndexOf, viewHeapF32 } from "./wasm-access";

/**
 * Shared pieces for expressing an input gradient as a forward convolution of dy
 * (zero-stuffed by the stride, padded "full") with the spatially flipped filter,
 * so it runs on the wasm backend's XNNPACK Conv2D / DepthwiseConv2dNative kernels.
 */

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Padding of the equivalent forward conv, or null when it would be negative (crop needed). */
export function computeFullPadding(g: ConvGeometry): ExplicitPadding | null {
  const top = (g.filterHeight - 1) * g.dilationHeight - g.padTop;
  const left = (g.filterWidth - 1) * g.dilationWidth - g.padLeft;
  const bottom = g.inHeight - stuffedSize(g.outHeight, g.strideHeight) + (g.filterHeight - 1) * g.dilationHeight - top;
  const right = g.inWidth - stuffedSize(g.outWidth, g.strideWidth) + (g.filterWidth - 1) * g.dilationWidth - left;
  if (Math.min(top, left, bottom, right) < 0) return null;
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** Inserts (stride - 1) zeros between dy pixels; returns dy itself for unit strides. */
export function stuffZeros(backend: BackendWasm, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch, outHeight, outWidth, strideHeight, strideWidth } = g;
  if (strideHeight === 1 && strideWidth === 1) return dy;
  const channels = dy.shape[3] ?? 1;
  const height = stuffedSize(outHeight, strideHeight);
  const width = stuffedSize(outWidth, strideWidth);
  const out = allocateF32(backend, [batch, height, width, channels]);
  const heap = viewHeapF32(backend);
  const src0 = heapIndexOf(backend, dy);
  const dst0 = heapIndexOf(backend, out);
  heap.fill(0, dst0, dst0 + batch * height * width * channels);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const src = src0 + ((n * outHeight + oh) * outWidth + ow) * channels;
        const dst = dst0 + ((n * height + oh * strideHeight) * width + ow * strideWidth) * channels;
        heap.copyWithin(dst, src, src + channels);
      }
    }
  }
  return out;
}

/**
 * Flips a [fh, fw, a, b] filter spatially and swaps its last two axes: out[kh, kw, j, i] = w[fh-1-kh, fw-1-kw, i, j].
 * With a = inC, b = outC this is the Conv2D input-gradient filter; with b = 1 it is the depthwise one.
 */
export function flipFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const [fh = 1, fw = 1, a = 1, b = 1] = filter.shape;
  const out = allocateF32(backend, [fh, fw, b, a]);
  const heap = viewHeapF32(backend);
  const src0 = heapIndexOf(backend, filter);
  const dst0 = heapIndexOf(backend, out);
  for (let kh = 0; kh < fh; kh++) {
    for (let kw = 0; kw < fw; kw++) {
      const src = src0 + ((fh - 1 - kh) * fw + (fw - 1 - kw)) * a * b;
      const dst = dst0 + (kh * fw + kw) * a * b;
      for (let i = 0; i < a; i++) {
        for (let j = 0; j < b; j++) heap[dst + j * a + i] = heap[src + i * b + j] as number;
      }
    }
  }
  return out;
}

function stuffedSize(size: number, stride: number): number {
  return (size - 1) * stride + 1;
}
