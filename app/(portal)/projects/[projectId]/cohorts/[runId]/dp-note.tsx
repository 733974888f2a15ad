import { Badge } from "@/app/_components/ui/badge";
import type { SiteOutcome } from "../../../_components/types";

/** The ε per count of the sites' DP-noised results in a run (one value when they all used the same). */
function epsilons(sites: SiteOutcome[]): number[] {
  return [
    ...new Set(sites.flatMap((s) => (s.result?.differentialPrivacy ? [s.result.differentialPrivacy.epsilon] : []))),
  ];
}

export function DpBadge({ sites }: { sites: SiteOutcome[] }) {
  const values = epsilons(sites);
  return values.length ? <Badge tone="blue">DP-noised, ε = {values.join(" / ")} per count</Badge> : null;
}

/** Says that the figures below (table, combined totals and funnel) carry differential-privacy noise. */
export function DpNote({ sites }: { sites: SiteOutcome[] }) {
  const values = epsilons(sites);
  if (!values.length) return null;
  return (
    <p className="rounded border border-blue-200 bg-blue-50 p-3 text-sm text-blue-900">
      These counts carry differential-privacy noise (ε = {values.join(" / ")} per count at each site): each site added
      random whole-number noise to every count before suppressing and rounding it, and charged the ε to its privacy
      budget for this project. Totals, breakdowns and the funnel are noisy figures, not exact counts; a breakdown need
      not add up to its total.
    </p>
  );
}
