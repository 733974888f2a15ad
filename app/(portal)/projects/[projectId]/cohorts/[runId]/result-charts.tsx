"use client";

import { GroupedBarChart, type ChartRow, type ChartSeries } from "@/app/_components/charts/grouped-bar-chart";
import type { Cell } from "@/protocol/contract";
import type { CohortRunResult } from "../../../_components/types";

const SEX_LABELS: Record<string, string> = { male: "Male", female: "Female", other: "Other / unknown" };
const valueOf = (cell: Cell) => (cell === "suppressed" ? null : cell);

/** Attrition funnels (combined and per site) and the age and sex breakdowns, all from suppressed site cells. */
export function ResultCharts({ result }: { result: CohortRunResult }) {
  const reported = result.sites.flatMap((s) => (s.result ? [{ ...s, result: s.result }] : []));
  if (!result.combined || reported.length === 0) return null;
  const series: ChartSeries[] = reported.map((s) => ({ key: s.code, label: s.code }));
  const thresholds = new Map(reported.map((s) => [s.code, s.result.threshold]));
  const suppressedText = (key: string) =>
    `withheld at the site: fewer than ${thresholds.get(key) ?? 10}, or withheld so that a small count cannot be worked out from the others`;
  const hasSuppressed = (rows: ChartRow[]) => rows.some((r) => Object.values(r.values).some((v) => v === null));
  const suppressedNote = "Withheld cells are drawn as zero; hover a bar for why.";

  const combinedFunnel: ChartRow[] = result.combined.attrition.map((step) => ({
    category: step.rule,
    values: { combined: step.sum },
  }));
  const siteFunnel: ChartRow[] = result.combined.attrition.map((step, i) => ({
    category: step.rule,
    values: Object.fromEntries(
      reported.map((s) => [s.code, valueOf(s.result.attrition[i]?.remaining ?? "suppressed")]),
    ),
  }));
  const ages: ChartRow[] = result.combined.ageBands.map((band, i) => ({
    category: band.band,
    values: Object.fromEntries(reported.map((s) => [s.code, valueOf(s.result.ageBands[i]!.persons)])),
  }));
  const sexes: ChartRow[] = result.combined.sex.map((row, i) => ({
    category: SEX_LABELS[row.sex] ?? row.sex,
    values: Object.fromEntries(reported.map((s) => [s.code, valueOf(s.result.sex[i]!.persons)])),
  }));
  const isCombinedPartial = result.combined.attrition.some((s) => s.isPartial);

  return (
    <section aria-labelledby="charts-title" className="space-y-4">
      <h2 id="charts-title" className="text-lg font-semibold text-slate-900">
        Attrition and breakdowns
      </h2>
      <div className="grid gap-4 lg:grid-cols-2">
        <GroupedBarChart
          title="Attrition, combined"
          description="Persons remaining after the entry event and demographics, then after each inclusion rule, summed over sites."
          orientation="horizontal"
          series={[{ key: "combined", label: "All reporting sites" }]}
          rows={combinedFunnel}
          note={isCombinedPartial ? "Some steps leave out suppressed site cells, so they are lower bounds." : undefined}
        />
        <GroupedBarChart
          title="Attrition per site"
          description="Persons remaining at each step, one bar per site."
          orientation="horizontal"
          series={series}
          rows={siteFunnel}
          suppressedText={suppressedText}
          note={hasSuppressed(siteFunnel) ? suppressedNote : undefined}
        />
        <GroupedBarChart
          title="Age at index"
          description="Persons in the final cohort by age band, stacked by site."
          isStacked
          series={series}
          rows={ages}
          suppressedText={suppressedText}
          note={hasSuppressed(ages) ? suppressedNote : undefined}
        />
        <GroupedBarChart
          title="Sex"
          description="Persons in the final cohort by recorded sex, stacked by site."
          isStacked
          series={series}
          rows={sexes}
          suppressedText={suppressedText}
          note={hasSuppressed(sexes) ? suppressedNote : undefined}
        />
      </div>
    </section>
  );
}
