import { backend_util, type TensorInfo } from "@tensorflow/tfjs";

type Shape4D = [number, number, number, number];
type PadAttr = "valid" | "same" | number | backend_util.ExplicitPadding;
type RoundingMode = "floor" | "round" | "ceil";

/** Channels-last geometry of one 2-D convolution, shared by all backprop kernels. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
  /** Output channels per input channel; 1 for a regular convolution's bookkeeping. */
  channelMultiplier: number;
  channelsFirst: boolean;
  filterShape: Shape4D;
  inShape: Shape4D;
  outShape: Shape4D;
}

interface ConvGeometryRequest {
  kernelName: string;
  inShape: number[];
  filterShape: number[];
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: PadAttr;
  dimRoundingMode?: RoundingMode;
  depthwise: boolean;
  dataFormat?: "NHWC" | "NCHW";
}

export function computeConvGeometry(request: ConvGeometryRequest): ConvGeometry {
  const { kernelName } = request;
  const inShape = requireRank4(kernelName, "input", request.inShape);
  const filterShape = requireRank4(kernelName, "filter", request.filterShape);
  const dataFormat = backend_util.convertConv2DDataFormat(request.dataFormat ?? "NHWC");
  const info = backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    request.strides,
    request.dilations,
    request.pad,
    request.dimRoundingMode,
    request.depthwise,
    dataFormat,
  );
  if (info.outHeight <= 0 || info.outWidth <= 0) {
    throw new Error(
      `${kernelName}: empty output ${info.outHeight}x${info.outWidth} for input ${inShape} and filter ${filterShape}`,
    );
  }
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    channelMultiplier: request.depthwise ? info.outChannels / info.inChannels : 1,
    channelsFirst: info.dataFormat === "channelsFirst",
    filterShape: info.filterShape,
    inShape: info.inShape,
    outShape: info.outShape,
  };
}

export function assertFloat32(kernelName: string, infos: Record<string, TensorInfo>): void {
  for (const [name, info] of Object.entries(infos)) {
    if (info.dtype !== "float32") {
      throw new Error(`${kernelName} on wasm supports float32 only; input '${name}' is ${info.dtype}`);
    }
  }
}

export function assertShape(
  kernelName: string,
  name: string,
  actual: readonly number[],
  expected: readonly number[],
): void {
  const same = actual.length === expected.length && actual.every((size, i) => size === expected[i]);
  if (!same) {
    throw new Error(`${kernelName}: '${name}' has shape [${actual}] but the convolution geometry needs [${expected}]`);
  }
}

function requireRank4(kernelName: string, name: string, shape: number[]): Shape4D {
  const [a, b, c, d] = shape;
  if (shape.length !== 4 || a === undefined || b === undefined || c === undefined || d === undefined) {
    throw new Error(`${kernelName}: ${name} must be rank 4, got shape [${shape}]`);
  }
  return [a, b, c, d];
}
