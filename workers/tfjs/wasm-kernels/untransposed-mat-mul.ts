import {
  BatchMatMul,
  util,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { asWasmBackend, releaseAll, reshapeInfo, transposeOnWasm } from "./wasm-access";

/**
 * The stock wasm BatchMatMul only uses XNNPACK for unbatched, non-transposed operands;
 * transposeA/B (every dense-layer gradient) fall to a scalar loop. Materialising the
 * transpose natively and taking the XNNPACK path is several times faster.
 */
export function createUntransposedMatMulConfig(stockConfig: KernelConfig): KernelConfig {
  const stock = stockConfig.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const backend = asWasmBackend(args.backend);
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    const unbatched = util.sizeFromShape(a.shape.slice(0, -2)) === 1 && util.sizeFromShape(b.shape.slice(0, -2)) === 1;
    if ((!transposeA && !transposeB) || !unbatched || a.dtype !== "float32" || b.dtype !== "float32") return stock(args);

    const temporaries: TensorInfo[] = [];
    const plainA = transposeA ? transposeMatrix(backend, a, temporaries) : a;
    const plainB = transposeB ? transposeMatrix(backend, b, temporaries) : b;
    const product = stock({ ...args, inputs: { a: plainA, b: plainB }, attrs: { transposeA: false, transposeB: false } });
    releaseAll(backend, temporaries);
    return product;
  };
  return { kernelName: BatchMatMul, backendName: "wasm", kernelFunc, setupFunc: stockConfig.setupFunc };
}

function transposeMatrix(backend: BackendWasm, x: TensorInfo, temporaries: TensorInfo[]): TensorInfo {
  const rows = x.shape[x.shape.length - 2] ?? 1;
  const cols = x.shape[x.shape.length - 1] ?? 1;
  const transposed = transposeOnWasm(backend, reshapeInfo(x, [rows, cols]), [1, 0]);
  temporaries.push(transposed);
  return transposed;
}
