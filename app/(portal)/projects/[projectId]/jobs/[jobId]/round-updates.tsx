import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { formatBytes, formatClock, formatMetric } from "../_components/job-format";
import type { JobRound } from "../_components/types";

type Update = JobRound["updates"][number];

const columns: Column<Update>[] = [
  { header: "Site", cell: (u) => <span className="font-semibold">{u.siteCode}</span> },
  { header: "Examples", cell: (u) => u.examples.toLocaleString("en-GB"), className: "tabular-nums" },
  { header: "Update norm", cell: (u) => (u.norm === null ? "masked" : u.norm.toFixed(3)), className: "tabular-nums" },
  { header: "Size", cell: (u) => formatBytes(u.byteSize), className: "tabular-nums whitespace-nowrap" },
  { header: "Backend", cell: (u) => <code className="text-xs">{u.backend}</code> },
  { header: "Train loss", cell: (u) => formatMetric(u.trainLoss), className: "tabular-nums" },
  { header: "Received", cell: (u) => formatClock(u.receivedAt), className: "tabular-nums" },
];

const STATUS_TEXT: Record<JobRound["status"], string> = {
  open: "in progress",
  closed: "aggregated",
  failed: "failed",
  cancelled: "cancelled",
};

/** What each site sent in each round, newest round first: the figures the hub checked before aggregating. Older rounds are folded away so a long job does not bury the page. */
export function RoundUpdates({ rounds }: { rounds: JobRound[] }) {
  return (
    <section aria-labelledby="updates-title" className="space-y-3">
      <h2 id="updates-title" className="text-lg font-semibold text-slate-900">
        Updates per round
      </h2>
      {rounds.length === 0 ? <p className="text-sm text-slate-600">No round has started yet.</p> : null}
      {[...rounds].reverse().map((r, i) => (
        <details key={r.number} open={i === 0 || undefined} className="space-y-1">
          <summary className="cursor-pointer text-sm font-semibold text-slate-800">
            Round {r.number} · {r.returned} of {r.expectedSites} sites · {STATUS_TEXT[r.status]}
            {r.resultVersion !== null ? ` → v${r.resultVersion}` : ""}
          </summary>
          <div className="mt-1">
            {r.updates.length === 0 ? (
              <p className="text-sm text-slate-600">No update received yet.</p>
            ) : (
              <DataTable
                label={`Updates in round ${r.number}`}
                columns={columns}
                rows={[...r.updates].sort((a, b) => a.siteCode.localeCompare(b.siteCode))}
                rowKey={(u) => u.siteCode}
              />
            )}
          </div>
        </details>
      ))}
    </section>
  );
}
