import { createHash } from "node:crypto";
import type { Bundle } from "./bundle";
import { canonicalJson } from "./canonical-json";

/**
 * The bytes a bundle's hash is taken over: its canonical JSON, with an empty `models` list left
 * out so bundles from before it keep their hash. The hub sends sites exactly this text with each
 * task, and a site recomputes the hash from it (node only: hub and worker).
 */
export function canonicalBundleJson(bundle: Bundle): string {
  const { models, ...rest } = bundle;
  // Bundles stored before `models` existed have no such key at all.
  return canonicalJson(models?.length ? bundle : rest);
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** SHA-256 of the bundle's canonical JSON: what a site approves. */
export function hashBundle(bundle: Bundle): string {
  return sha256Hex(canonicalBundleJson(bundle));
}

/** SHA-256 of a TF.js layers topology's canonical JSON: the architecture a bundle's model entry pins. */
export function hashArchitecture(architecture: unknown): string {
  return sha256Hex(canonicalJson(architecture));
}
