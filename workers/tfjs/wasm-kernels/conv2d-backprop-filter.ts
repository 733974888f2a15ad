import {
  BatchMatMul,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { assertFloat32, assertShape, computeConvGeometry, type ConvGeometry } from "./conv-geometry";
import { buildFullWidthOperands, canUseFullWidthColumns } from "./full-width-columns";
import { fillColumns, fillTransposedColumns } from "./im2col";
import {
  allocateF32,
  asWasmBackend,
  heapIndexOf,
  releaseAll,
  reshapeInfo,
  runWasmKernel,
  transposeOnWasm,
  viewHeapF32,
} from "./wasm-access";

/** Below this many input channels the row-major im2col copies runs too short to pay off. */
const ROW_MAJOR_MIN_CHANNELS = 4;

/** dW[kh, kw, ci, co] = im2col(x)^T · dy, with the product on the wasm BatchMatMul (XNNPACK) kernel. */
const computeConv2DBackpropFilter: KernelFunc = ({ inputs, backend: kernelBackend, attrs }) => {
  const backend = asWasmBackend(kernelBackend);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs;
  assertFloat32(Conv2DBackpropFilter, { x, dy });
  const g = computeConvGeometry({
    kernelName: Conv2DBackpropFilter,
    inShape: x.shape,
    filterShape,
    strides,
    dilations: 1,
    pad,
    dimRoundingMode,
    depthwise: false,
    dataFormat,
  });
  assertShape(Conv2DBackpropFilter, "dy", dy.shape, g.outShape);

  if (!g.channelsFirst) {
    return computeFilterGradient(backend, x, dy, g);
  }
  const xNhwc = transposeOnWasm(backend, x, [0, 2, 3, 1]);
  const dyNhwc = transposeOnWasm(backend, dy, [0, 2, 3, 1]);
  const dW = computeFilterGradient(backend, xNhwc, dyNhwc, g);
  releaseAll(backend, [xNhwc, dyNhwc]);
  return dW;
};

function computeFilterGradient(backend: BackendWasm, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  if (canUseFullWidthColumns(g)) {
    const operands = buildFullWidthOperands(backend, x, dy, g);
    const dW = runWasmKernel(
      backend,
      BatchMatMul,
      { a: operands.cols, b: operands.dy },
      { transposeA: false, transposeB: false },
    );
    releaseAll(backend, operands.temporaries);
    return reshapeInfo(dW, [...g.filterShape]);
  }
  const pixels = g.batch * g.outHeight * g.outWidth;
  const patch = g.filterHeight * g.filterWidth * g.inChannels;
  const cols = buildTransposedColumns(backend, x, g, patch, pixels);
  // dy is the packed XNNPACK "weights" operand: packing it (M x outC) is far cheaper
  // than packing the column matrix (M x K), which would dominate the kernel.
  const dyMatrix = reshapeInfo(dy, [pixels, g.outChannels]);
  const dW = runWasmKernel(backend, BatchMatMul, { a: cols, b: dyMatrix }, { transposeA: false, transposeB: false });
  releaseAll(backend, [cols]);
  return reshapeInfo(dW, [...g.filterShape]);
}

/** [K, M] columns; with many channels the row-major fill plus a native transpose beats strided JS reads. */
function buildTransposedColumns(
  backend: BackendWasm,
  x: TensorInfo,
  g: ConvGeometry,
  patch: number,
  pixels: number,
): TensorInfo {
  if (g.inChannels < ROW_MAJOR_MIN_CHANNELS) {
    const cols = allocateF32(backend, [patch, pixels]);
    fillTransposedColumns(viewHeapF32(backend), heapIndexOf(backend, x), g, heapIndexOf(backend, cols));
    return cols;
  }
  const rowMajor = allocateF32(backend, [pixels, patch]);
  fillColumns(viewHeapF32(backend), heapIndexOf(backend, x), g, heapIndexOf(backend, rowMajor));
  const cols = transposeOnWasm(backend, rowMajor, [1, 0]);
  releaseAll(backend, [rowMajor]);
  return cols;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: computeConv2DBackpropFilter,
};
