import { readFileSync } from "node:fs";
import { z } from "zod";
import type { TaskKind } from "@/protocol/contract";

/**
 * The site's own policy file (FLIP_SITE_POLICY), written by the Trust's data-governance office.
 * The worker enforces it before any handler runs, whatever the hub asks. Unknown keys are an
 * error rather than ignored: a misspelt "minCellCount" must not silently fall back to a default.
 */
export const ZSitePolicy = z.strictObject({
  /** The site code this policy belongs to; the worker refuses to run for a hub that calls it another site. */
  site: z.string().trim().min(1).max(20),
  /** Task kinds this site runs; kinds this worker version does not know yet may be listed ahead of an upgrade. */
  allowedTaskKinds: z
    .array(z.string().regex(/^[a-z][a-z0-9_]*$/, "a task kind such as site_inventory"))
    .default(["site_inventory", "cohort_count"]),
  /** Counts below this are returned as "suppressed"; the hub may ask for more, never less. */
  minCellCount: z.number().int().min(1).max(1000).default(10),
  allowFeasibility: z.boolean().default(true),
  maxRounds: z.number().int().min(1).max(10_000).default(50),
  minCohortSize: z.number().int().min(1).default(10),
  requireDifferentialPrivacy: z.boolean().default(false),
});
export type SitePolicy = z.infer<typeof ZSitePolicy>;

export class PolicyFileError extends Error {}

/** Reads and validates the policy file; the error says which file and which fields are wrong. */
export function loadSitePolicy(path: string): SitePolicy {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new PolicyFileError(`cannot read the site policy file ${path} (${code})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PolicyFileError(`the site policy file ${path} is not valid JSON`);
  }
  const parsed = ZSitePolicy.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; ");
    throw new PolicyFileError(`the site policy file ${path} is not valid: ${issues}`);
  }
  return parsed.data;
}

/** Why the site refuses a task, or null when its policy allows it. Checked before the payload is even parsed. */
export function policyRefusal(policy: SitePolicy, policyPath: string, kind: TaskKind): string | null {
  if (!policy.allowedTaskKinds.includes(kind)) {
    return `This site does not run '${kind}' tasks: the kind is not in allowedTaskKinds of the site policy file ${policyPath}.`;
  }
  return null;
}

/** The suppression threshold for a result: the site's own, or the hub's when it asks for more. */
export function suppressionThreshold(policy: SitePolicy, requested: number | undefined): number {
  return Math.max(policy.minCellCount, requested ?? 0);
}

/** Why the site refuses a train task under its policy, or null; checked before any site data is read. */
export function trainingRefusal(policy: SitePolicy, totalRounds: number): string | null {
  if (policy.requireDifferentialPrivacy) {
    return "This site requires differential privacy for training (requireDifferentialPrivacy in its site policy file), which this worker version does not offer.";
  }
  if (totalRounds > policy.maxRounds) {
    return `This site trains for at most ${policy.maxRounds} rounds (maxRounds in its site policy file); the job asks for ${totalRounds}.`;
  }
  return null;
}

/** Why the site will not train on so few examples, or null. The message never says how many there are. */
export function cohortSizeRefusal(policy: SitePolicy, trainingExamples: number): string | null {
  if (trainingExamples >= policy.minCohortSize) return null;
  return `This site trains only on at least ${policy.minCohortSize} training examples (minCohortSize in its site policy file); it has fewer for this cohort.`;
}
