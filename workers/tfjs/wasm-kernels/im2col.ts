import type { ConvGeometry } from "./conv-geometry";

/**
 * im2col over the whole wasm heap (`heap` is a Float32Array on the heap buffer,
 * offsets are float indices), so contiguous runs move with native copyWithin
 * instead of per-element JS.
 */

/** Contiguous runs shorter than this are copied element-wise: copyWithin's call cost dominates. */
const MIN_NATIVE_RUN = 16;

/** Row-major [M, K]: cols[(n*outH + oh)*outW + ow][(kh*filterW + kw)*inC + c]. Best when inChannels is large. */
export function fillColumns(heap: Float32Array, xBase: number, g: ConvGeometry, colsBase: number): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft } = g;
  const tapRow = filterWidth * inChannels;
  let dst = colsBase;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const ih0 = oh * strideHeight - padTop;
      for (let ow = 0; ow < outWidth; ow++) {
        const iw0 = ow * strideWidth - padLeft;
        const [kwStart, kwEnd] = computeValidRange(iw0, dilationWidth, inWidth, filterWidth);
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = ih0 + kh * dilationHeight;
          if (ih < 0 || ih >= inHeight || kwStart >= kwEnd) {
            heap.fill(0, dst, dst + tapRow);
            dst += tapRow;
            continue;
          }
          heap.fill(0, dst, dst + kwStart * inChannels);
          const rowBase = xBase + (n * inHeight + ih) * inWidth * inChannels;
          if (dilationWidth === 1) {
            const src = rowBase + (iw0 + kwStart) * inChannels;
            copyRun(heap, src, dst + kwStart * inChannels, (kwEnd - kwStart) * inChannels);
          } else {
            for (let kw = kwStart; kw < kwEnd; kw++) {
              copyRun(heap, rowBase + (iw0 + kw * dilationWidth) * inChannels, dst + kw * inChannels, inChannels);
            }
          }
          heap.fill(0, dst + kwEnd * inChannels, dst + tapRow);
          dst += tapRow;
        }
      }
    }
  }
}

/** Transposed [K, M]: cols[(kh*filterW + kw)*inC + c][(n*outH + oh)*outW + ow]. Best when inChannels is small. */
export function fillTransposedColumns(heap: Float32Array, xBase: number, g: ConvGeometry, colsBase: number): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, strideWidth } = g;
  const pixels = batch * outHeight * outWidth;
  const step = strideWidth * inChannels;
  for (let kh = 0; kh < g.filterHeight; kh++) {
    const rowOffset = kh * g.dilationHeight - g.padTop;
    for (let kw = 0; kw < g.filterWidth; kw++) {
      const colOffset = kw * g.dilationWidth - g.padLeft;
      const [owStart, owEnd] = computeValidRange(colOffset, strideWidth, inWidth, outWidth);
      for (let c = 0; c < inChannels; c++) {
        let dst = colsBase + ((kh * g.filterWidth + kw) * inChannels + c) * pixels;
        for (let n = 0; n < batch; n++) {
          for (let oh = 0; oh < outHeight; oh++, dst += outWidth) {
            const ih = oh * g.strideHeight + rowOffset;
            if (ih < 0 || ih >= inHeight || owStart >= owEnd) {
              heap.fill(0, dst, dst + outWidth);
              continue;
            }
            heap.fill(0, dst, dst + owStart);
            const src = xBase + ((n * inHeight + ih) * inWidth + colOffset + owStart * strideWidth) * inChannels + c;
            if (step === 1) {
              copyRun(heap, src, dst + owStart, owEnd - owStart);
            } else {
              for (let ow = owStart, si = src; ow < owEnd; ow++, si += step) heap[dst + ow] = heap[si] as number;
            }
            heap.fill(0, dst + owEnd, dst + outWidth);
          }
        }
      }
    }
  }
}

/** Output positions [start, end) whose input position `i * stride + offset` lies inside [0, inSize). */
export function computeValidRange(offset: number, stride: number, inSize: number, outSize: number): [number, number] {
  const start = Math.min(outSize, Math.max(0, Math.ceil(-offset / stride)));
  const end = Math.min(outSize, Math.floor((inSize - 1 - offset) / stride) + 1);
  return [start, Math.max(start, end)];
}

function copyRun(heap: Float32Array, src: number, dst: number, length: number): void {
  if (length >= MIN_NATIVE_RUN) {
    heap.copyWithin(dst, src, src + length);
    return;
  }
  for (let i = 0; i < length; i++) heap[dst + i] = heap[src + i] as number;
}
