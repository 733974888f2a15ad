import { formatClock } from "../_components/job-format";
import type { JobDetail, JobStatus, JobTask } from "../_components/types";

type CellState = { label: string; detail: string | null; className: string };

const STYLES = {
  reported: "border-green-300 bg-green-50 text-green-900",
  running: "border-sky-300 bg-sky-50 text-sky-900",
  waiting: "border-slate-200 bg-slate-50 text-slate-700",
  retried: "border-amber-300 bg-amber-50 text-amber-900",
  failed: "border-red-300 bg-red-50 text-red-900",
  dropped: "border-amber-300 bg-amber-50 text-amber-900",
} as const;

/** Attempt counts leases: 1 is the first try, so anything above it means the site's task was retried. */
function cellState(task: JobTask, jobStatus: JobStatus): CellState {
  const retry = task.attempt > 1 ? `attempt ${task.attempt}` : null;
  const at = (date: Date | null) => (date ? formatClock(date) : null);
  switch (task.status) {
    case "done":
      return {
        label: task.attempt > 1 ? "Reported (retried)" : "Reported",
        detail: at(task.finishedAt),
        className: STYLES.reported,
      };
    case "leased":
      return {
        label: `Running ${Math.round(task.progress)}%`,
        detail: retry ?? task.progressMessage,
        className: retry ? STYLES.retried : STYLES.running,
      };
    case "queued":
      return retry
        ? { label: "Retrying", detail: retry, className: STYLES.retried }
        : { label: "Waiting", detail: "not picked up yet", className: STYLES.waiting };
    case "failed":
      return { label: "Failed", detail: task.failureMessage ?? at(task.finishedAt), className: STYLES.failed };
    case "expired":
      return {
        label: "Dropped",
        detail: task.failureMessage ?? "the site stopped reporting",
        className: STYLES.dropped,
      };
    case "cancelled":
      // Open tasks are cancelled when their round closes without them, or when the whole job stops.
      return {
        label: jobStatus === "cancelled" ? "Cancelled" : "Dropped",
        detail: task.failureMessage,
        className: STYLES.dropped,
      };
  }
}

/** Rows are sites, columns are rounds (and the final evaluation); each cell says in words what that site did. */
export function ParticipationTimeline({ detail }: { detail: JobDetail }) {
  const { job, participation } = detail;
  const hasEvaluation = job.kind === "evaluate" || participation.some((t) => t.round === 0);
  const rounds = job.kind === "train" ? Array.from({ length: job.totalRounds }, (_, i) => i + 1) : [];
  const columns = [
    ...rounds.map((r) => ({ round: r, label: `Round ${r}` })),
    ...(hasEvaluation ? [{ round: 0, label: "Eval" }] : []),
  ];
  const siteCodes = job.sites.map((s) => s.code).sort();
  const taskAt = new Map(participation.map((t) => [`${t.siteCode}|${t.round}`, t]));

  return (
    <section aria-labelledby="participation-title" className="space-y-2">
      <h2 id="participation-title" className="text-lg font-semibold text-slate-900">
        Participation
      </h2>
      {/* Focusable so keyboard users can scroll a wide timeline inside its own box. */}
      <div
        tabIndex={0}
        role="region"
        aria-label="Participation timeline, scrolls sideways"
        className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm"
      >
        <table aria-labelledby="participation-title" className="min-w-full text-left text-sm">
          <thead className="border-b border-slate-200 bg-slate-50 text-xs tracking-wide text-slate-600 uppercase">
            <tr>
              <th scope="col" className="sticky left-0 bg-slate-50 px-3 py-2 font-semibold">
                Site
              </th>
              {columns.map((c) => (
                <th key={c.round} scope="col" className="px-3 py-2 font-semibold whitespace-nowrap">
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {siteCodes.map((code) => (
              <tr key={code}>
                <th scope="row" className="sticky left-0 bg-white px-3 py-2 font-semibold text-slate-900">
                  {code}
                </th>
                {columns.map((c) => {
                  const task = taskAt.get(`${code}|${c.round}`);
                  const state = task ? cellState(task, job.status) : null;
                  return (
                    <td key={c.round} className="px-2 py-1.5 align-top">
                      {state ? (
                        <div
                          className={`min-w-28 rounded border px-2 py-1 ${state.className}`}
                          title={state.detail ?? undefined}
                        >
                          <span className="block text-xs font-semibold">{state.label}</span>
                          {state.detail ? (
                            <span className="block max-w-40 truncate text-xs">{state.detail}</span>
                          ) : null}
                        </div>
                      ) : (
                        <span className="text-xs text-slate-400">
                          — <span className="sr-only">not dispatched</span>
                        </span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
