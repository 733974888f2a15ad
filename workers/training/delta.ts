import type { NamedTensor } from "@/protocol/tensor-codec";

/**
 * The update a site uploads: delta = w_local - w_global, tensor for tensor in the global file's
 * names and order, and its L2 norm over all tensors, which the hub bounds.
 */
export function subtractWeights(local: readonly NamedTensor[], global: readonly NamedTensor[]): NamedTensor[] {
  const byName = new Map(local.map((t) => [t.name, t]));
  return global.map((g) => {
    const l = byName.get(g.name);
    if (!l || l.data.length !== g.data.length)
      throw new Error(`the trained model has no tensor ${g.name} of the global model's size`);
    const data = new Float32Array(g.data.length);
    for (let i = 0; i < data.length; i++) data[i] = l.data[i]! - g.data[i]!;
    return { name: g.name, shape: [...g.shape], data };
  });
}

export function l2Norm(tensors: readonly NamedTensor[]): number {
  let sum = 0;
  for (const t of tensors) for (const value of t.data) sum += value * value;
  return Math.sqrt(sum);
}

/**
 * Scales the update down to the norm bound when it exceeds it (direction kept), in place. The
 * tiny margin keeps float32 rounding from leaving the scaled norm a hair above the bound.
 */
export function clipToNorm(tensors: NamedTensor[], bound: number): { norm: number; isClipped: boolean } {
  const norm = l2Norm(tensors);
  if (norm <= bound) return { norm, isClipped: false };
  const factor = (bound / norm) * (1 - 1e-6);
  for (const t of tensors) for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! * factor;
  return { norm, isClipped: true };
}
