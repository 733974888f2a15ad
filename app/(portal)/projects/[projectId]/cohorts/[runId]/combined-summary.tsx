import { Card } from "@/app/_components/ui/card";
import type { CohortRunResult, SiteOutcome } from "../../../_components/types";

/** The sum of cells sites did not suppress; a partial sum says so, because suppressed cells add an unknown amount. */
export function CombinedSummary({ combined, sites }: { combined: CohortRunResult["combined"]; sites: SiteOutcome[] }) {
  const reported = sites.filter((s) => s.result);
  const failed = sites.filter((s) => s.status === "failed");
  return (
    <Card>
      <div className="flex flex-col gap-2 sm:flex-row sm:items-baseline sm:justify-between">
        <h2 className="text-base font-semibold text-slate-900">Combined total</h2>
        <p className="text-sm text-slate-600">
          {reported.length} of {sites.length} {sites.length === 1 ? "site" : "sites"} reported
          {failed.length ? `, ${failed.length} failed` : ""}
        </p>
      </div>
      {combined ? (
        <>
          <p className="mt-1 text-3xl font-semibold text-slate-900 tabular-nums">
            {combined.total.isPartial ? "at least " : ""}
            {combined.total.sum.toLocaleString("en-GB")}{" "}
            <span className="text-base font-normal text-slate-600">persons</span>
          </p>
          {combined.total.isPartial ? (
            <p className="mt-2 text-sm text-amber-900">
              Some sites suppressed their count (fewer people than their threshold), so those cells are left out of the
              sum and the real total is somewhat higher.
            </p>
          ) : null}
          <p className="mt-2 text-sm text-slate-600">
            Sites round what they release, so each site&apos;s figure may be a few persons off its exact count.
          </p>
        </>
      ) : (
        <p className="mt-1 text-sm text-slate-600">No site has reported yet.</p>
      )}
    </Card>
  );
}
