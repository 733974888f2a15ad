import {
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropInput,
  Sum,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs";
import { assertFloat32, assertShape, computeConvGeometry } from "./conv-geometry";
import { computeFullPadding, flipFilter, stuffZeros } from "./transposed-conv";
import { asWasmBackend, releaseAll, reshapeInfo, runWasmKernel } from "./wasm-access";

/**
 * dx as a forward XNNPACK depthwise conv: every dy channel c*mult+m is convolved
 * with its own flipped tap w[.., c, m], then the mult results of each input channel are summed.
 */
const computeDepthwiseBackpropInput: KernelFunc = ({ inputs, backend: kernelBackend, attrs }) => {
  const backend = asWasmBackend(kernelBackend);
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  assertFloat32(DepthwiseConv2dNativeBackpropInput, { dy, filter });
  const g = computeConvGeometry({
    kernelName: DepthwiseConv2dNativeBackpropInput,
    inShape: inputShape,
    filterShape: filter.shape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise: true,
  });
  assertShape(DepthwiseConv2dNativeBackpropInput, "dy", dy.shape, g.outShape);
  const fullPad = computeFullPadding(g);
  if (fullPad === null) {
    throw new Error(
      `${DepthwiseConv2dNativeBackpropInput} on wasm: padding ${JSON.stringify(pad)} is larger than the ` +
        `dilated filter (${g.filterHeight}x${g.filterWidth}, dilation ${g.dilationHeight}x${g.dilationWidth}); not supported`,
    );
  }

  const stuffed = stuffZeros(backend, dy, g);
  const tapShape = [g.filterHeight, g.filterWidth, g.outChannels, 1];
  const flipped = reshapeInfo(flipFilter(backend, reshapeInfo(filter, tapShape)), tapShape);
  const perChannel = runWasmKernel(
    backend,
    DepthwiseConv2dNative,
    { x: stuffed, filter: flipped },
    { strides: 1, dilations: [g.dilationHeight, g.dilationWidth], pad: fullPad },
  );
  const temporaries = [flipped, ...(stuffed === dy ? [] : [stuffed])];
  if (g.channelMultiplier === 1) {
    releaseAll(backend, temporaries);
    return perChannel;
  }
  const split = reshapeInfo(perChannel, [...g.inShape, g.channelMultiplier]);
  const dx = runWasmKernel(backend, Sum, { x: split }, { axis: [4], keepDims: false });
  releaseAll(backend, [...temporaries, perChannel]);
  return dx;
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: "wasm",
  kernelFunc: computeDepthwiseBackpropInput,
};
