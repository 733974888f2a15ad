import { createHash } from "node:crypto";
import { canonicalJson } from "@/server/lib/canonical-json";
import type { BundleModel } from "@/protocol/bundle";
import type { Bundle } from "./projects.schema";

/** SHA-256 of the canonical JSON; an empty `models` list is left out, so bundles from before it keep their hash. */
export function hashBundle(bundle: Bundle): string {
  const { models, ...rest } = bundle;
  return createHash("sha256")
    .update(canonicalJson(models.length ? bundle : rest))
    .digest("hex");
}

type ModelSpecLike = Pick<BundleModel, "task" | "input" | "outcome">;

/** What sites approve about a model: its task, input and outcome (the name only labels it). */
function specKey(model: ModelSpecLike): string {
  return canonicalJson({ task: model.task, input: model.input, outcome: model.outcome });
}

/** The bundle's entry with the same task, input and outcome as the model, or undefined. */
export function findBundleModel(bundle: Bundle, model: ModelSpecLike): BundleModel | undefined {
  const key = specKey(model);
  return bundle.models.find((m) => specKey(m) === key);
}

/** The bundle entry for a registered (or about to be registered) model. */
export function bundleModelOf(model: ModelSpecLike & { name: string }): BundleModel {
  return { name: model.name, task: model.task, input: model.input, outcome: model.outcome };
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
