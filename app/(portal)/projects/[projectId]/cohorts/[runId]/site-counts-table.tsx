import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { CellValue } from "../../../_components/cell-value";
import type { SiteOutcome } from "../../../_components/types";
import { TaskStatusBadge } from "./task-status-badge";

const columns: Column<SiteOutcome>[] = [
  {
    header: "Site",
    cell: (s) => (
      <span>
        <span className="font-semibold">{s.code}</span> <span className="text-slate-600">{s.name}</span>
      </span>
    ),
  },
  { header: "Status", cell: (s) => <TaskStatusBadge status={s.status} /> },
  {
    header: "Cohort size",
    cell: (s) =>
      s.result ? (
        <CellValue cell={s.result.total} threshold={s.result.threshold} />
      ) : (
        <span className="text-slate-500">—</span>
      ),
    className: "tabular-nums",
  },
  {
    header: "Suppressed below",
    cell: (s) => (s.result ? s.result.threshold : <span className="text-slate-500">—</span>),
    className: "tabular-nums",
  },
  {
    header: "Rounded to",
    cell: (s) =>
      s.result ? (
        <abbr
          title="The site rounds every count it releases to a multiple of this"
          className="cursor-help no-underline"
        >
          {s.result.rounding === 1 ? "exact" : `nearest ${s.result.rounding}`}
        </abbr>
      ) : (
        <span className="text-slate-500">—</span>
      ),
    className: "tabular-nums",
  },
  {
    header: "Noise",
    cell: (s) =>
      s.result?.differentialPrivacy ? (
        <abbr
          title={`Discrete Gaussian noise of standard deviation ${s.result.differentialPrivacy.sigma.toFixed(1)} on every count, before suppression and rounding (δ = ${s.result.differentialPrivacy.delta})`}
          className="cursor-help no-underline"
        >
          DP, ε = {s.result.differentialPrivacy.epsilon}
        </abbr>
      ) : s.result ? (
        "none"
      ) : (
        <span className="text-slate-500">—</span>
      ),
  },
  {
    header: "Details",
    cell: (s) =>
      s.status === "failed" ? (
        <span className="text-red-800">
          <code className="text-xs">{s.failureCode ?? "failed"}</code>
          {s.failureMessage ? <span className="block">{s.failureMessage}</span> : null}
        </span>
      ) : s.result ? (
        <span className="text-slate-600">
          {s.result.attrition.length} attrition {s.result.attrition.length === 1 ? "step" : "steps"}
          {s.result.unknownConcepts?.length ? (
            <span className="block text-amber-800">
              Not in this site&apos;s vocabulary: {s.result.unknownConcepts.join(", ")}
            </span>
          ) : null}
        </span>
      ) : (
        <span className="text-slate-600">{s.progressMessage ?? "Waiting for the site"}</span>
      ),
  },
];

export function SiteCountsTable({ sites }: { sites: SiteOutcome[] }) {
  return (
    <section aria-labelledby="per-site-title" className="space-y-2">
      <h2 id="per-site-title" className="text-lg font-semibold text-slate-900">
        Per site
      </h2>
      <DataTable label="Per-site counts" columns={columns} rows={sites} rowKey={(s) => s.siteId} />
    </section>
  );
}
