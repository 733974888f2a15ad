import { getKernel, type NamedAttrMap, type TensorInfo } from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/**
 * Helpers for kernels that compose the wasm backend's own kernels and read its
 * heap directly. Heap views must be re-taken after any allocation, because an
 * allocation can grow wasm memory and detach earlier views.
 */

export function asWasmBackend(backend: unknown): BackendWasm {
  if (typeof backend !== "object" || backend === null || !("wasm" in backend) || !("dataIdMap" in backend)) {
    throw new Error("FLIP wasm training kernels can only run on the 'wasm' backend");
  }
  return backend as unknown as BackendWasm;
}

/** A Float32Array over the entire heap; combine with `heapIndexOf` for native copyWithin between tensors. */
export function viewHeapF32(backend: BackendWasm): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

export function heapIndexOf(backend: BackendWasm, info: TensorInfo): number {
  return backend.getMemoryOffset(info.dataId) / Float32Array.BYTES_PER_ELEMENT;
}

export function allocateF32(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, "float32");
}

/** Same buffer, new shape: wasm kernels read shapes from the TensorInfo, not from the heap. */
export function reshapeInfo(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

export function runWasmKernel(
  backend: BackendWasm,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  const kernel = getKernel(kernelName, "wasm");
  if (kernel === undefined) {
    throw new Error(`wasm backend has no ${kernelName} kernel`);
  }
  const result = kernel.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(result)) {
    throw new Error(`wasm ${kernelName} returned several outputs, expected one`);
  }
  return result;
}

export function transposeOnWasm(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runWasmKernel(backend, "Transpose", { x }, { perm });
}

export function releaseAll(backend: BackendWasm, infos: TensorInfo[]): void {
  for (const info of infos) {
    backend.disposeData(info.dataId);
  }
}
