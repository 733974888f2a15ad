import { countElements, formatShape, type NamedTensor } from "@/protocol/tensor-codec";
import { sumOfSquares } from "./simd-kernel";

/** What the hub expects a site's update to look like: the global model's tensors, in order. */
export interface TensorSpec {
  name: string;
  shape: readonly number[];
}

export type UpdateRefusalCode = "tensor_mismatch" | "non_finite" | "norm_exceeded";

export type UpdateCheck = { ok: true; norm: number } | { ok: false; code: UpdateRefusalCode; reason: string };

/** Norms are shown to people; four significant digits is enough to see by how much a bound was missed. */
function formatNumber(x: number): string {
  return String(Number(x.toPrecision(4)));
}

export function specOf(tensors: readonly NamedTensor[]): TensorSpec[] {
  return tensors.map(({ name, shape }) => ({ name, shape }));
}

function checkStructure(update: readonly NamedTensor[], expected: readonly TensorSpec[]): string | null {
  if (update.length !== expected.length) {
    return `update has ${update.length} tensors, expected ${expected.length}`;
  }
  for (const [i, tensor] of update.entries()) {
    const spec = expected[i]!;
    if (tensor.name !== spec.name) {
      return `tensor ${i} is ${tensor.name}, expected ${spec.name}`;
    }
    const sameShape =
      tensor.shape.length === spec.shape.length && tensor.shape.every((dim, d) => dim === spec.shape[d]);
    if (!sameShape) {
      return `tensor ${tensor.name} has shape ${formatShape(tensor.shape)}, expected ${formatShape(spec.shape)}`;
    }
    // Decoded payloads already guarantee this; updates built in memory might not.
    if (tensor.data.length !== countElements(spec.shape)) {
      return `tensor ${tensor.name} has ${tensor.data.length} values, shape ${formatShape(spec.shape)} needs ${countElements(spec.shape)}`;
    }
  }
  return null;
}

function describeFirstNonFinite(tensor: NamedTensor): string {
  const index = tensor.data.findIndex((x) => !Number.isFinite(x));
  const value = tensor.data[index];
  const what = Number.isNaN(value) ? "NaN" : value !== undefined && value > 0 ? "Infinity" : "-Infinity";
  return `value ${index} of ${tensor.name} is ${what}`;
}

/**
 * Accepts an update (a delta, w_site - w_global) only if it matches the model's tensors by name and
 * shape in order, every value is finite, and its global L2 norm is at most `normBound`.
 *
 * One pass: the float64 sum of squares turns NaN/Infinity exactly when a value is non-finite (the
 * square of the largest float32 is ~1e77, far from float64 overflow), so the per-value search only
 * runs on the rare bad tensor. The norm bound limits how far one site can move the global model.
 * The sum of squares runs as a WebAssembly SIMD kernel (simd-kernel.ts, where its precision is argued).
 */
export function validateUpdate(
  update: readonly NamedTensor[],
  expected: readonly TensorSpec[],
  normBound: number,
): UpdateCheck {
  const structural = checkStructure(update, expected);
  if (structural) return { ok: false, code: "tensor_mismatch", reason: structural };

  let total = 0;
  for (const tensor of update) {
    const partial = sumOfSquares(tensor.data);
    if (!Number.isFinite(partial)) {
      return { ok: false, code: "non_finite", reason: describeFirstNonFinite(tensor) };
    }
    total += partial;
  }
  const norm = Math.sqrt(total);
  if (norm > normBound) {
    return {
      ok: false,
      code: "norm_exceeded",
      reason: `update norm ${formatNumber(norm)} exceeds the job's bound ${formatNumber(normBound)}`,
    };
  }
  return { ok: true, norm };
}
