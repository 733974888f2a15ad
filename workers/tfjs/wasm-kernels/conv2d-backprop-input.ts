import {
  Conv2D,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs";
import { assertFloat32, assertShape, computeConvGeometry } from "./conv-geometry";
import { computeFullPadding, flipFilter, stuffZeros } from "./transposed-conv";
import { asWasmBackend, releaseAll, runWasmKernel, transposeOnWasm } from "./wasm-access";

/**
 * Replaces the stock wasm Conv2DBackpropInput (a scalar C++ loop, ~10x slower than
 * the forward conv) with a forward XNNPACK Conv2D of zero-stuffed dy and the flipped
 * filter. Paddings that would need cropping go to the stock kernel, which is correct.
 */
export function createConv2DBackpropInputConfig(stockConfig: KernelConfig): KernelConfig {
  const stock = stockConfig.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const backend = asWasmBackend(args.backend);
    const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as Conv2DBackpropInputAttrs;
    assertFloat32(Conv2DBackpropInput, { dy, filter });
    const g = computeConvGeometry({
      kernelName: Conv2DBackpropInput,
      inShape: inputShape,
      filterShape: filter.shape,
      strides,
      dilations: 1,
      pad,
      dimRoundingMode,
      depthwise: false,
      dataFormat,
    });
    assertShape(Conv2DBackpropInput, "dy", dy.shape, g.outShape);
    const fullPad = computeFullPadding(g);
    if (fullPad === null) return stock(args);

    const temporaries: TensorInfo[] = [];
    const dyNhwc = g.channelsFirst ? transposeOnWasm(backend, dy, [0, 2, 3, 1]) : dy;
    if (dyNhwc !== dy) temporaries.push(dyNhwc);
    const stuffed = stuffZeros(backend, dyNhwc, g);
    if (stuffed !== dyNhwc) temporaries.push(stuffed);
    const flipped = flipFilter(backend, filter);
    temporaries.push(flipped);
    const convAttrs = { strides: 1, dilations: 1, pad: fullPad, dataFormat: "NHWC" };
    const dx = runWasmKernel(backend, Conv2D, { x: stuffed, filter: flipped }, convAttrs);
    releaseAll(backend, temporaries);
    if (!g.channelsFirst) return dx;
    const dxNchw = transposeOnWasm(backend, dx, [0, 3, 1, 2]);
    releaseAll(backend, [dx]);
    return dxNchw;
  };
  // The stock setupFunc binds the C++ entry point the fallback path needs.
  return { kernelName: Conv2DBackpropInput, backendName: "wasm", kernelFunc, setupFunc: stockConfig.setupFunc };
}
