import type { TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { ConvGeometry } from "./conv-geometry";
import { allocateF32, heapIndexOf, releaseAll, reshapeInfo, transposeOnWasm, viewHeapF32 } from "./wasm-access";

/**
 * Filter-gradient operands for unpadded, stride-1 convolutions without a per-pixel im2col.
 *
 * The columns cover "full-width" pixels (n, oh, w) with w in [0, inW) instead of [0, outW).
 * For one tap (kh, kw) and channel c, the row of one image is then a single contiguous run of
 * the channel-planar input xT[c, n] starting at (kh, kw): one native copy per (tap, channel, image).
 * The inW - outW extra pixels of each output row are zeroed in the columns and in the padded dy,
 * so they add nothing to the product (and no input value outside the window is ever multiplied).
 */
export interface FullWidthOperands {
  /** [K, M'] with K = fh*fw*inC and M' = batch*outH*inW. */
  cols: TensorInfo;
  /** [M', outC]: dy with zero columns appended to each output row (dy itself when outW = inW). */
  dy: TensorInfo;
  /** Temporaries the caller releases after the product (cols and, when padded, dy). */
  temporaries: TensorInfo[];
}

export function canUseFullWidthColumns(g: ConvGeometry): boolean {
  return (
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.dilationHeight === 1 &&
    g.dilationWidth === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outHeight === g.inHeight - g.filterHeight + 1 &&
    g.outWidth === g.inWidth - g.filterWidth + 1
  );
}

/** x and dy are NHWC. */
export function buildFullWidthOperands(
  backend: BackendWasm,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
): FullWidthOperands {
  const planar = g.inChannels === 1 ? x : transposeOnWasm(backend, x, [3, 0, 1, 2]);
  const pixels = g.batch * g.outHeight * g.inWidth;
  const cols = allocateF32(backend, [g.filterHeight * g.filterWidth * g.inChannels, pixels]);
  fillFullWidthColumns(viewHeapF32(backend), heapIndexOf(backend, planar), heapIndexOf(backend, cols), g);
  if (planar !== x) releaseAll(backend, [planar]);
  const temporaries = [cols];
  const paddedDy = padDyRows(backend, dy, g);
  if (paddedDy.dataId !== dy.dataId) temporaries.push(paddedDy);
  return { cols, dy: paddedDy, temporaries };
}

function fillFullWidthColumns(heap: Float32Array, x0: number, cols0: number, g: ConvGeometry): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const plane = inHeight * inWidth;
  const run = outHeight * inWidth;
  const pixels = batch * run;
  const xEnd = x0 + inChannels * batch * plane;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      for (let c = 0; c < inChannels; c++) {
        const row = cols0 + ((kh * filterWidth + kw) * inChannels + c) * pixels;
        for (let n = 0; n < batch; n++) {
          const src = x0 + (c * batch + n) * plane + kh * inWidth + kw;
          const dst = row + n * run;
          // Only the last plane's last row can run past the input, and only into zeroed columns.
          heap.copyWithin(dst, src, src + Math.min(run, xEnd - src));
          for (let at = dst + outWidth; at < dst + run; at += inWidth) {
            for (let w = 0; w < inWidth - outWidth; w++) heap[at + w] = 0;
          }
        }
      }
    }
  }
}

function padDyRows(backend: BackendWasm, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const { batch, outHeight, outWidth, inWidth, outChannels } = g;
  if (outWidth === inWidth) return reshapeInfo(dy, [batch * outHeight * inWidth, outChannels]);
  const out = allocateF32(backend, [batch * outHeight * inWidth, outChannels]);
  const heap = viewHeapF32(backend);
  const srcRow = outWidth * outChannels;
  const dstRow = inWidth * outChannels;
  let src = heapIndexOf(backend, dy);
  let dst = heapIndexOf(backend, out);
  for (let r = 0; r < batch * outHeight; r++, src += srcRow, dst += dstRow) {
    heap.copyWithin(dst, src, src + srcRow);
    heap.fill(0, dst + srcRow, dst + dstRow);
  }
  return out;
}
