import { canonicalJson } from "@/protocol/canonical-json";
import type { BundleModel, ModelSpecLike } from "@/protocol/bundle";
import type { Bundle } from "./projects.schema";

/** The bundle entry for a registered (or about to be registered) model, pinning its architecture when given. */
export function bundleModelOf(model: ModelSpecLike & { name: string }): BundleModel {
  return {
    name: model.name,
    task: model.task,
    input: model.input,
    outcome: model.outcome,
    ...(model.architectureSha256 ? { architectureSha256: model.architectureSha256 } : {}),
  };
}

export function initialBundle(purpose: string): Bundle {
  return {
    bundleVersion: 1,
    purpose,
    cohort: null,
    allowedJobKinds: ["cohort_count"],
    outputs: ["cohort_counts"],
    privacy: { minCellCount: 10 },
    maxRounds: 20,
    models: [],
  };
}

export type BundleChange = { path: string; before: unknown; after: unknown };

function flatten(value: unknown, prefix: string, out: Map<string, unknown>) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out.set(prefix, value);
    for (const [key, child] of entries) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.set(prefix, value);
  }
}

/** Field-level differences between two bundles, for an approver reviewing a re-submission. */
export function diffBundles(before: Bundle, after: Bundle): BundleChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, "", a);
  flatten(after, "", b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  // An empty list that gained entries (or lost them all) shows as its entries, not as a row of its own.
  const isFilledOnOtherSide = (p: string) => paths.some((q) => q.startsWith(`${p}.`));
  return paths
    .filter((p) => canonicalJson(a.get(p) ?? null) !== canonicalJson(b.get(p) ?? null))
    .filter((p) => !(a.has(p) !== b.has(p) && isFilledOnOtherSide(p)))
    .map((p) => ({ path: p, before: a.get(p) ?? null, after: b.get(p) ?? null }));
}
