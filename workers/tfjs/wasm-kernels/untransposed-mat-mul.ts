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
 *
 * XNNPACK also packs the whole `b` operand on every call (training creates new tensors each
 * step, so its operator cache never hits), and packing costs about twice a native transpose
 * per element. When A is much smaller than B (dense input gradients: dy · Wᵀ), C = (Bᵀ · Aᵀ)ᵀ
 * packs Aᵀ instead.
 */
const PACK_COST = 2;
/** Only swap when the model predicts a clear win. */
const SWAP_GAIN = 0.75;

export function createUntransposedMatMulConfig(stockConfig: KernelConfig): KernelConfig {
  const stock = stockConfig.kernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const backend = asWasmBackend(args.backend);
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as BatchMatMulAttrs;
    const unbatched = util.sizeFromShape(a.shape.slice(0, -2)) === 1 && util.sizeFromShape(b.shape.slice(0, -2)) === 1;
    if (!unbatched || a.dtype !== "float32" || b.dtype !== "float32") return stock(args);

    const product = (left: TensorInfo, right: TensorInfo) =>
      stock({ ...args, inputs: { a: left, b: right }, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
    const m = lastDims(a)[transposeA ? 1 : 0];
    const [bRows, bCols] = lastDims(b);
    const k = transposeB ? bCols : bRows;
    const n = transposeB ? bRows : bCols;
    const keepCost = PACK_COST * k * n + (transposeA ? m * k : 0) + (transposeB ? k * n : 0);
    const swapCost = PACK_COST * k * m + (transposeB ? 0 : k * n) + (transposeA ? 0 : m * k) + m * n;
    if (swapCost < SWAP_GAIN * keepCost) {
      // Cᵀ = Bᵀ · Aᵀ; a transposed operand is already stored as the matrix needed here.
      const temporaries: TensorInfo[] = [];
      const left = transposeB ? asMatrix(b) : transposeMatrix(backend, b, temporaries);
      const right = transposeA ? asMatrix(a) : transposeMatrix(backend, a, temporaries);
      const productT = product(left, right);
      const result = transposeOnWasm(backend, reshapeInfo(productT, [n, m]), [1, 0]);
      releaseAll(backend, [...temporaries, productT]);
      return reshapeInfo(result, outShape(a, b, m, n));
    }
    if (!transposeA && !transposeB) return stock(args);
    const temporaries: TensorInfo[] = [];
    const plainA = transposeA ? transposeMatrix(backend, a, temporaries) : a;
    const plainB = transposeB ? transposeMatrix(backend, b, temporaries) : b;
    const result = product(plainA, plainB);
    releaseAll(backend, temporaries);
    return result;
  };
  return { kernelName: BatchMatMul, backendName: "wasm", kernelFunc, setupFunc: stockConfig.setupFunc };
}

function lastDims(x: TensorInfo): [number, number] {
  return [x.shape[x.shape.length - 2] ?? 1, x.shape[x.shape.length - 1] ?? 1];
}

/** Leading dims as the stock kernel broadcasts them: all of size 1 here, so the longer operand's. */
function outShape(a: TensorInfo, b: TensorInfo, m: number, n: number): number[] {
  const outer = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  return [...outer, m, n];
}

function asMatrix(x: TensorInfo): TensorInfo {
  return reshapeInfo(x, lastDims(x));
}

function transposeMatrix(backend: BackendWasm, x: TensorInfo, temporaries: TensorInfo[]): TensorInfo {
  const transposed = transposeOnWasm(backend, asMatrix(x), [1, 0]);
  temporaries.push(transposed);
  return transposed;
}
