import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { formatMetric } from "../_components/job-format";
import { PooledCurves } from "../../models/_components/pooled-curves";
import type { JobDetail, ValidationPoint } from "../_components/types";

type Row = {
  key: string;
  label: string;
  examples: number | "suppressed";
  metrics: ValidationPoint["perSite"][number]["metrics"];
};

const columns: Column<Row>[] = [
  { header: "Site", cell: (r) => <span className={r.key === "pooled" ? "font-semibold" : ""}>{r.label}</span> },
  {
    header: "Examples",
    cell: (r) =>
      r.examples === "suppressed" ? (
        <abbr title="Too few positives or negatives to report; suppressed at the site and left out of the pooled figures">
          suppressed
        </abbr>
      ) : (
        r.examples.toLocaleString("en-GB")
      ),
    className: "tabular-nums",
  },
  { header: "Loss", cell: (r) => formatMetric(r.metrics.loss), className: "tabular-nums" },
  { header: "Accuracy", cell: (r) => formatMetric(r.metrics.accuracy), className: "tabular-nums" },
  { header: "AUC", cell: (r) => formatMetric(r.metrics.auc), className: "tabular-nums" },
  { header: "Sensitivity", cell: (r) => formatMetric(r.metrics.sensitivity), className: "tabular-nums" },
  { header: "Specificity", cell: (r) => formatMetric(r.metrics.specificity), className: "tabular-nums" },
];

/**
 * The newest measurement of the job's model: pooled over sites (from their summed confusion matrices
 * and score histograms) and each site's own rounded figures, with the pooled ROC and calibration.
 */
export function SiteMetricsTable({ detail }: { detail: JobDetail }) {
  const latest = detail.validation.at(-1);
  if (!latest) return null;
  const isFinal = detail.job.kind === "evaluate" || latest.round === detail.job.totalRounds;
  const title =
    detail.job.kind === "evaluate"
      ? "Evaluation results"
      : latest.round === 0
        ? "Starting model, by site"
        : `Model after round ${latest.round}${isFinal ? " (final, held-out evaluation)" : ""}, by site`;
  const rows: Row[] = [
    ...(latest.pooled
      ? [
          {
            key: "pooled",
            label: `Pooled (${latest.pooled.sites} ${latest.pooled.sites === 1 ? "site" : "sites"})`,
            examples: latest.pooled.examples,
            metrics: latest.pooled,
          },
        ]
      : []),
    // By site code, not by arrival, so rows stay put while a round's measurements come in.
    ...[...latest.perSite]
      .sort((a, b) => a.siteCode.localeCompare(b.siteCode))
      .map((s) => ({ key: s.siteCode, label: s.siteCode, examples: s.examples, metrics: s.metrics })),
  ];
  return (
    <section aria-labelledby="metrics-title" className="space-y-2">
      <h2 id="metrics-title" className="text-lg font-semibold text-slate-900">
        {title}
      </h2>
      <DataTable label={title} columns={columns} rows={rows} rowKey={(r) => r.key} />
      <p className="text-sm text-slate-600">
        Sites release metrics rounded to 2 places and counts rounded and suppressed; the pooled row is computed from
        their summed confusion matrices (accuracy, sensitivity, specificity at a 0.5 threshold) and score histograms
        (AUC), not as a mean of site figures. For an uncommon outcome a model can rank cases well (AUC) yet call every
        case negative at 0.5, which shows as sensitivity 0.
      </p>
      <PooledCurves pooled={latest.pooled} source={isFinal ? "held-out test splits" : "validation splits"} />
    </section>
  );
}
