import type { JobEventType } from "@/server/jobs/job-events";
import { formatBytes, formatClock } from "../_components/job-format";
import type { JobEvent } from "../_components/types";

const LABELS: Record<JobEventType, string> = {
  job_started: "Job started",
  round_started: "Round started",
  update_received: "Update received",
  update_lost: "Update asked for again",
  round_aggregated: "Round aggregated",
  site_dropped: "Site dropped",
  site_skipped: "Site skipped",
  evaluation_started: "Evaluation started",
  evaluation_received: "Evaluation received",
  job_completed: "Job completed",
  job_failed: "Job failed",
  job_cancelled: "Job cancelled",
};

const TONES: Partial<Record<JobEventType, string>> = {
  update_lost: "text-amber-900",
  site_dropped: "text-amber-900",
  site_skipped: "text-amber-900",
  job_failed: "text-red-800",
  job_cancelled: "text-amber-900",
  job_completed: "text-green-800",
};

// Event details are JSON written by the hub (rounds.service.ts, update-intake.ts); read them defensively.
const num = (value: unknown) => (typeof value === "number" ? value : null);
const text = (value: unknown) => (typeof value === "string" ? value : null);
const examples = (value: unknown) =>
  value === "suppressed" ? "fewer examples than the site reports" : `${num(value) ?? "?"} examples`;

const STRATEGIES: Record<string, string> = { fedavg: "FedAvg", fedprox: "FedProx", fedadam: "FedAdam" };
const strategyName = (kind: string | null) => (kind ? (STRATEGIES[kind] ?? kind) : "training");

/** One line a person can read, e.g. "update received, 12.4 kB, 120 examples". */
function describeEvent(event: JobEvent): string {
  const d = event.details;
  const site = event.siteCode ?? "a site";
  switch (event.type as JobEventType) {
    case "job_started":
      return `from v${num(d.version) ?? "?"} at ${Array.isArray(d.sites) ? d.sites.join(", ") : "the chosen sites"}${num(d.rounds) ? `; ${d.rounds} ${d.rounds === 1 ? "round" : "rounds"} of ${strategyName(text(d.strategy))}` : ""}`;
    case "round_started":
      return `round ${event.round} started with model v${num(d.globalVersion) ?? "?"} at ${num(d.expected) ?? "?"} sites${text(d.deadlineAt) ? `; deadline ${formatClock(new Date(d.deadlineAt as string))}` : ""}`;
    case "update_received":
      return `update received, ${formatBytes(num(d.bytes) ?? 0)}, ${examples(d.examples)}${num(d.norm) !== null ? `, norm ${num(d.norm)!.toFixed(3)}` : ""}${text(d.backend) ? `, ${d.backend}` : ""}`;
    case "round_aggregated":
      return `round ${event.round} aggregated: ${num(d.returned) ?? "?"} of ${num(d.expected) ?? "?"} sites, ${examples(d.examples)} → v${num(d.version) ?? "?"}${d.reason === "deadline" ? " (closed at the deadline)" : d.reason === "dropouts" ? " (others dropped out)" : ""}`;
    case "site_dropped":
      return `${site} dropped: ${text(d.reason) ?? "no reason given"}`;
    case "site_skipped":
      return `${site} skipped: ${text(d.reason) ?? "no reason given"}`;
    case "evaluation_started":
      return `evaluating v${num(d.version) ?? "?"} at ${num(d.sites) ?? "?"} sites`;
    case "evaluation_received":
      return `metrics received, ${examples(d.examples)}${text(d.backend) ? `, ${d.backend}` : ""}`;
    case "job_completed":
      return `final version v${num(d.version) ?? "?"}${d.evaluated === false ? " (the bundle allows no evaluation)" : ""}`;
    case "job_failed":
      return text(d.message) ?? "the job failed";
    case "job_cancelled":
      return `by ${text(d.by) ?? "a member"}; ${num(d.tasksStopped) ?? 0} site tasks stopped`;
    default:
      return event.type;
  }
}

/** The typed job log, newest first, in its own scrolling box so a long run does not stretch the page. */
export function JobLog({ events }: { events: JobEvent[] }) {
  const newestFirst = [...events].reverse();
  return (
    <section aria-labelledby="log-title" className="space-y-2">
      <h2 id="log-title" className="text-lg font-semibold text-slate-900">
        Job log
      </h2>
      {newestFirst.length === 0 ? (
        <p className="text-sm text-slate-600">Nothing logged yet.</p>
      ) : (
        <div
          tabIndex={0}
          role="region"
          aria-label="Job log, newest first"
          className="max-h-96 overflow-y-auto rounded-lg border border-slate-200 bg-white shadow-sm"
        >
          <ol className="divide-y divide-slate-100 text-sm">
            {newestFirst.map((e) => (
              <li
                key={e.seq}
                className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 px-3 py-2 sm:grid-cols-[auto_10rem_minmax(0,1fr)] lg:grid-cols-[auto_15rem_minmax(0,1fr)]"
              >
                <time dateTime={e.at.toISOString()} className="text-slate-500 tabular-nums">
                  {formatClock(e.at)}
                </time>
                <span className={`font-medium ${TONES[e.type as JobEventType] ?? "text-slate-900"}`}>
                  {LABELS[e.type as JobEventType] ?? e.type}
                  {e.round ? ` · round ${e.round}` : ""}
                  {e.siteCode ? ` · ${e.siteCode}` : ""}
                </span>
                <span className="col-start-2 break-words text-slate-700 sm:col-start-3">{describeEvent(e)}</span>
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
