import {
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs";
import { assertFloat32, assertShape, computeConvGeometry, type ConvGeometry } from "./conv-geometry";
import { computeValidRange } from "./im2col";
import { allocateF32, asWasmBackend, heapIndexOf, viewHeapF32 } from "./wasm-access";

/**
 * Each filter tap is a per-channel dot product over all output pixels: no shared
 * reduction dimension for a matmul, and only 2 flops per loaded value, so one
 * streaming pass over the heap is the fast form. Accumulates in float64.
 */
const computeDepthwiseBackpropFilter: KernelFunc = ({ inputs, backend: kernelBackend, attrs }) => {
  const backend = asWasmBackend(kernelBackend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  assertFloat32(DepthwiseConv2dNativeBackpropFilter, { x, dy });
  const g = computeConvGeometry({
    kernelName: DepthwiseConv2dNativeBackpropFilter,
    inShape: x.shape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise: true,
  });
  assertShape(DepthwiseConv2dNativeBackpropFilter, "dy", dy.shape, g.outShape);

  const sums = accumulateTaps(viewHeapF32(backend), heapIndexOf(backend, x), heapIndexOf(backend, dy), g);
  const dW = allocateF32(backend, [...g.filterShape]);
  viewHeapF32(backend).set(sums, heapIndexOf(backend, dW));
  return dW;
};

function accumulateTaps(heap: Float32Array, x0: number, dy0: number, g: ConvGeometry): Float64Array {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, channelMultiplier } = g;
  const sums = new Float64Array(g.filterHeight * g.filterWidth * outChannels);
  for (let kh = 0; kh < g.filterHeight; kh++) {
    const rowOffset = kh * g.dilationHeight - g.padTop;
    for (let kw = 0; kw < g.filterWidth; kw++) {
      const colOffset = kw * g.dilationWidth - g.padLeft;
      const [owStart, owEnd] = computeValidRange(colOffset, g.strideWidth, inWidth, outWidth);
      const tap = (kh * g.filterWidth + kw) * outChannels;
      for (let n = 0; n < batch; n++) {
        for (let oh = 0; oh < outHeight; oh++) {
          const ih = oh * g.strideHeight + rowOffset;
          if (ih < 0 || ih >= inHeight) continue;
          for (let ow = owStart; ow < owEnd; ow++) {
            const xi = x0 + ((n * inHeight + ih) * inWidth + ow * g.strideWidth + colOffset) * inChannels;
            const di = dy0 + ((n * outHeight + oh) * outWidth + ow) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              const xv = heap[xi + c] as number;
              for (let m = 0; m < channelMultiplier; m++) {
                const k = c * channelMultiplier + m;
                sums[tap + k] = (sums[tap + k] as number) + xv * (heap[di + k] as number);
              }
            }
          }
        }
      }
    }
  }
  return sums;
}

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: "wasm",
  kernelFunc: computeDepthwiseBackpropFilter,
};
