import { RelativeTime } from "@/app/_components/relative-time";
import type { ApprovalRequestData } from "./request-types";

const numberFormat = new Intl.NumberFormat("en-GB");

/** The cohort's latest count at this site for this exact definition, as the site reported it. */
export function SiteCount({
  siteCount,
  hasCohort,
  siteCode,
}: {
  siteCount: ApprovalRequestData["siteCount"];
  hasCohort: boolean;
  siteCode: string;
}) {
  let value: string;
  if (!hasCohort) value = "No cohort defined, so nothing to count";
  else if (!siteCount) value = "Not counted here yet";
  else if (siteCount.total === "suppressed") value = `< ${siteCount.threshold} (suppressed at the site)`;
  else value = numberFormat.format(siteCount.total);
  return (
    <section
      aria-label={`Cohort count at ${siteCode}`}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5"
    >
      <p className="flex flex-wrap items-baseline gap-x-2">
        <span className="text-sm font-medium text-slate-600">Cohort count at {siteCode}:</span>
        <span className={`font-semibold text-slate-900 tabular-nums ${siteCount ? "text-xl" : "text-base"}`}>
          {value}
        </span>
      </p>
      {siteCount ? (
        <p className="mt-1 text-xs text-slate-500">
          Counted by your site worker <RelativeTime date={siteCount.at} />, suppressing counts below{" "}
          {siteCount.threshold}.
        </p>
      ) : null}
    </section>
  );
}
