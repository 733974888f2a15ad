"use client";

import { useNow } from "@/app/_components/relative-time";
import { formatDuration, formatRelative } from "@/app/_components/time-format";
import { Card } from "@/app/_components/ui/card";
import { isJobActive, type JobDetail } from "../_components/types";

function Bar({
  label,
  valueText,
  done,
  total,
  isFailed,
}: {
  label: string;
  valueText: string;
  done: number;
  total: number;
  isFailed: boolean;
}) {
  const percent = total === 0 ? 0 : Math.round((done / total) * 100);
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={done}
      aria-valuetext={valueText}
      className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
    >
      <div
        className={`h-full rounded-full transition-all ${isFailed ? "bg-red-600" : "bg-nhs-blue"}`}
        style={{ width: `${percent}%` }}
      />
    </div>
  );
}

/** Where the job is: the round under way out of all rounds, who has reported in it, its deadline and an ETA. */
export function RoundProgress({ detail }: { detail: JobDetail }) {
  const now = useNow();
  const { job, progress, rounds, participation } = detail;
  const isActive = isJobActive(job.status);
  const isFailed = job.status === "failed" || job.status === "cancelled";

  if (job.kind === "evaluate") {
    const tasks = participation.filter((t) => t.round === 0);
    const ended = tasks.filter((t) => t.status !== "queued" && t.status !== "leased").length;
    const text = `${ended} of ${tasks.length} sites finished evaluating`;
    return (
      <Card title="Progress">
        <p className="mb-2 text-sm font-medium text-slate-900">{text}</p>
        <Bar label="Evaluation progress" valueText={text} done={ended} total={tasks.length} isFailed={isFailed} />
      </Card>
    );
  }

  const { roundsDone, totalRounds, etaSeconds, meanRoundSeconds } = progress;
  const current = Math.min(roundsDone + 1, totalRounds);
  const open = rounds.find((r) => r.status === "open");
  const isEvaluating = isActive && roundsDone === totalRounds;
  const heading = isEvaluating
    ? `All ${totalRounds} rounds done; evaluating the final model`
    : job.status === "completed"
      ? `Round ${totalRounds} of ${totalRounds}, done`
      : `Round ${current} of ${totalRounds}`;
  const valueText = `Round ${current} of ${totalRounds}, ${roundsDone} completed`;

  return (
    <Card title="Progress">
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <p className="text-sm font-medium text-slate-900">{heading}</p>
        {etaSeconds !== null ? (
          <p className="text-sm text-slate-600">About {formatDuration(etaSeconds * 1000)} left</p>
        ) : null}
      </div>
      <Bar label="Training rounds" valueText={valueText} done={roundsDone} total={totalRounds} isFailed={isFailed} />
      <p className="mt-2 text-xs text-slate-600">
        {open
          ? `Round ${open.number}: ${open.returned} of ${open.expectedSites} sites reported; deadline ${formatRelative(open.deadlineAt, now)}. `
          : ""}
        {meanRoundSeconds !== null
          ? `Rounds take about ${formatDuration(meanRoundSeconds * 1000)}.`
          : isActive
            ? "An estimate appears once the first round closes."
            : ""}
      </p>
    </Card>
  );
}
