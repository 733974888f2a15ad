import type { Database } from "@/db/client";
import type { Bundle } from "@/protocol/bundle";
import type { JobConfig } from "@/protocol/registry";
import { privacySpentByRound } from "@/server/privacy/privacy.service";

export type ModelCardPrivacy = {
  differentialPrivacy: {
    noiseMultiplier: number;
    clipNorm: number;
    delta: number;
    exampleLevel: { noiseMultiplier: number; clipNorm: number } | null;
  } | null;
  secureAggregation: boolean;
  /** What the sites approved in the bundle the job ran under. */
  approved: Bundle["privacy"];
  /** ε each site had spent on the project when it sent its update for this version's round (at its own δ, against its budget). */
  sites: { siteCode: string; epsilonSpent: number; delta: number; maxEpsilon: number }[];
};

/** The privacy guarantee a trained version carries, from its job's settings and the sites' reports. */
export async function privacyOfVersion(
  db: Database,
  job: { id: string; config: JobConfig },
  round: number,
  bundle: Bundle,
): Promise<ModelCardPrivacy> {
  const dp = job.config.differentialPrivacy;
  return {
    differentialPrivacy: dp
      ? {
          noiseMultiplier: dp.noiseMultiplier,
          clipNorm: job.config.normBound ?? 0,
          delta: dp.delta,
          exampleLevel: dp.exampleLevel ?? null,
        }
      : null,
    secureAggregation: job.config.secureAggregation === true,
    approved: bundle.privacy,
    sites: await privacySpentByRound(db, { jobId: job.id, round }),
  };
}

/** The card's "Privacy" section in Markdown. */
export function privacyMarkdown(privacy: ModelCardPrivacy | null): string[] {
  if (!privacy) return ["Not trained by a federated job: no privacy guarantee applies to its weights.", ""];
  const lines: string[] = [];
  const dp = privacy.differentialPrivacy;
  if (dp) {
    lines.push(
      `Differential privacy at each site (DP-FedAvg): updates clipped to L2 norm ${dp.clipNorm}, Gaussian noise with multiplier ${dp.noiseMultiplier}${privacy.secureAggregation ? " on the sum (each site adds its share)" : " added by each site to its own update"}; δ = ${dp.delta}.  `,
    );
    if (dp.exampleLevel)
      lines.push(
        `Example-level DP-SGD in local training: per-example gradients clipped to ${dp.exampleLevel.clipNorm}, noise multiplier ${dp.exampleLevel.noiseMultiplier}.  `,
      );
    lines.push("", "| Site | ε spent on this project | δ | Site budget (ε) |", "| --- | --- | --- | --- |");
    for (const s of privacy.sites)
      lines.push(`| ${s.siteCode} | ${s.epsilonSpent.toFixed(2)} | ${s.delta} | ${s.maxEpsilon} |`);
    lines.push(
      "",
      "Each ε is the site's own account (Rényi DP, converted to (ε, δ)) of everything the project's DP training has released from it, up to this version. It covers the model updates; metrics and counts are protected by suppression and rounding instead.",
    );
  } else {
    lines.push("No differential privacy: the updates carry no formal guarantee beyond clipping.");
  }
  lines.push(
    "",
    `Secure aggregation: ${privacy.secureAggregation ? "on (the hub saw only masked updates and their sum)" : "off"}.`,
    "",
  );
  return lines;
}
