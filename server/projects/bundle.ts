import { createHash } from "node:crypto";
import { canonicalJson } from "@/server/lib/canonical-json";
import type { Bundle } from "./projects.schema";

export function hashBundle(bundle: Bundle): string {
  return createHash("sha256").update(canonicalJson(bundle)).digest("hex");
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
  return paths
    .filter((p) => canonicalJson(a.get(p) ?? null) !== canonicalJson(b.get(p) ?? null))
    .map((p) => ({ path: p, before: a.get(p) ?? null, after: b.get(p) ?? null }));
}
