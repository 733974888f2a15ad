import { createHash } from "node:crypto";
import { canonicalJson } from "@/server/lib/canonical-json";
import type { CohortDefinition } from "@/protocol/cohort-definition";

/** Identifies a cohort definition across revisions: feasibility limits and earlier counts key on it. */
export function hashDefinition(definition: CohortDefinition): string {
  return createHash("sha256").update(canonicalJson(definition)).digest("hex");
}
