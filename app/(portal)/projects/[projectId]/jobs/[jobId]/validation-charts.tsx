"use client";

import { colourAt } from "@/app/_components/charts/chart-palette";
import { LineChart, type LinePoint, type LineSeries } from "@/app/_components/charts/line-chart";
import type { JobDetail } from "../_components/types";

type Metric = "loss" | "accuracy" | "auc";

const CHARTS: { metric: Metric; title: string; yLabel: string; isFraction: boolean }[] = [
  { metric: "loss", title: "Validation loss", yLabel: "Loss (lower is better)", isFraction: false },
  { metric: "accuracy", title: "Validation accuracy", yLabel: "Accuracy (0–1)", isFraction: true },
  { metric: "auc", title: "Validation AUC", yLabel: "ROC AUC (0–1)", isFraction: true },
];

const POOLED = "__pooled";

/**
 * The global model coming out of each round, measured on every site's validation split: the pooled
 * line (from the sites' summed counts, server/jobs/pool-metrics.ts) and one line per site. Round r's point appears once the sites have
 * measured it, at the start of round r+1 or in the final evaluation.
 */
export function ValidationCharts({ detail }: { detail: JobDetail }) {
  const { validation, progress } = detail;
  // Colours follow the job's sites, not arrival order, so a site keeps its colour as points come in; the
  // palette's first colours are kept for sites because the pooled line is near-black.
  const siteCodes = [
    ...new Set([
      ...detail.job.sites.map((s) => s.code),
      ...validation.flatMap((v) => v.perSite.map((s) => s.siteCode)),
    ]),
  ].sort();
  const series: LineSeries[] = [
    { key: POOLED, label: "Pooled (all sites)", colour: "#1e293b", isEmphasised: true },
    ...siteCodes.map((code, i) => ({ key: code, label: code, colour: colourAt(i) })),
  ];
  const pointsFor = (metric: Metric): LinePoint[] =>
    validation.map((v) => ({
      x: v.round,
      values: {
        [POOLED]: v.pooled?.[metric] ?? null,
        ...Object.fromEntries(v.perSite.map((s) => [s.siteCode, s.metrics[metric]])),
      },
    }));
  const formatX = (x: number) => (x === 0 ? "start" : String(x));

  return (
    <section aria-labelledby="validation-title" className="space-y-3">
      <h2 id="validation-title" className="text-lg font-semibold text-slate-900">
        Validation by round
      </h2>
      {validation.length === 0 ? (
        <p className="text-sm text-slate-600">
          The first points appear when the sites have measured the starting model, with their round 1 updates.
        </p>
      ) : (
        <div className="grid gap-4 xl:grid-cols-3">
          {CHARTS.map((chart) => {
            const points = pointsFor(chart.metric);
            const hasValues = points.some((p) => Object.values(p.values).some((v) => v !== null && v !== undefined));
            return (
              <LineChart
                key={chart.metric}
                title={chart.title}
                description={`${chart.yLabel} of the model after each round (“start” is the version the job began from), pooled and per site.`}
                series={series}
                points={points}
                xLabel="Round"
                yLabel={chart.yLabel}
                xDomain={[0, Math.max(1, progress.totalRounds)]}
                yDomain={chart.isFraction ? [0, 1] : undefined}
                formatX={formatX}
                formatY={(y) => (chart.isFraction ? y.toFixed(2) : y.toFixed(3))}
                note={
                  hasValues
                    ? undefined
                    : `No site could compute ${chart.metric === "auc" ? "AUC" : chart.metric} for this model yet (for example, a regression model has no accuracy).`
                }
              />
            );
          })}
        </div>
      )}
    </section>
  );
}
