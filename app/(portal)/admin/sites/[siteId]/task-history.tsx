"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { RelativeTime, useNow } from "@/app/_components/relative-time";
import { formatDuration } from "@/app/_components/time-format";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import type { SiteTaskRow } from "../site-network-types";

const KIND_LABELS: Record<string, string> = { site_inventory: "Data inventory" };

const STATUS_TONES = {
  queued: "blue",
  leased: "blue",
  done: "green",
  failed: "red",
  expired: "neutral",
  cancelled: "neutral",
} as const;
const STATUS_LABELS = {
  queued: "Queued",
  leased: "Running",
  done: "Done",
  failed: "Failed",
  expired: "Expired",
  cancelled: "Cancelled",
} as const;

const isCancellable = (task: SiteTaskRow) => task.status === "queued" || task.status === "leased";

/** Leased → finished; a running task counts up to now. A task never leased has no duration. */
function durationOf(task: SiteTaskRow, now: number): string {
  if (!task.leasedAt) return "—";
  if (task.finishedAt) return formatDuration(task.finishedAt.getTime() - task.leasedAt.getTime());
  return task.status === "leased" ? `${formatDuration(now - task.leasedAt.getTime())} so far` : "—";
}

function columnsFor(
  now: number,
  onCancel: (task: SiteTaskRow) => void,
  cancellingId: string | null,
): Column<SiteTaskRow>[] {
  return [
    {
      header: "Task",
      cell: (t) => (
        <div>
          <p className="font-medium">{KIND_LABELS[t.kind] ?? t.kind}</p>
          <p className="text-xs text-slate-500">
            queued <RelativeTime date={t.createdAt} />
          </p>
        </div>
      ),
    },
    {
      header: "Status",
      cell: (t) => (
        <div className="space-y-1">
          <Badge tone={STATUS_TONES[t.status]}>{STATUS_LABELS[t.status]}</Badge>
          {t.status === "leased" ? (
            <p className="text-xs text-slate-600">
              {t.progress}%{t.progressMessage ? ` · ${t.progressMessage}` : ""}
            </p>
          ) : null}
        </div>
      ),
    },
    { header: "Attempt", cell: (t) => <span className="tabular-nums">{`${t.attempt} of ${t.maxAttempts}`}</span> },
    { header: "Duration", cell: (t) => <span className="tabular-nums">{durationOf(t, now)}</span> },
    {
      header: "Outcome",
      cell: (t) =>
        t.failureCode || t.failureMessage ? (
          <div className="max-w-sm">
            {t.failureCode ? <p className="font-mono text-xs font-semibold text-red-800">{t.failureCode}</p> : null}
            {t.failureMessage ? <p className="text-xs text-slate-700">{t.failureMessage}</p> : null}
            {t.status === "queued" ? (
              <p className="text-xs text-slate-500">Last attempt failed; queued to retry.</p>
            ) : null}
          </div>
        ) : (
          <span className="text-slate-500">—</span>
        ),
    },
    {
      header: "Actions",
      cell: (t) =>
        isCancellable(t) ? (
          <Button
            type="button"
            variant="secondary"
            className="px-2.5 py-1"
            onClick={() => onCancel(t)}
            disabled={cancellingId === t.id}
            aria-label={`Cancel ${KIND_LABELS[t.kind] ?? t.kind} task queued ${t.createdAt.toLocaleTimeString("en-GB")}`}
          >
            {cancellingId === t.id ? "Cancelling…" : "Cancel"}
          </Button>
        ) : (
          <span className="text-slate-500">—</span>
        ),
    },
  ];
}

export function TaskHistory({ tasks }: { tasks: SiteTaskRow[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const now = useNow();
  const cancel = useMutation(
    trpc.siteNetwork.cancelTask.mutationOptions({
      onSettled: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.siteNetwork.pathFilter()),
          queryClient.invalidateQueries(trpc.audit.pathFilter()),
        ]),
    }),
  );
  const cancellingId = cancel.isPending ? (cancel.variables?.taskId ?? null) : null;

  return (
    <Card title="Task history">
      <div className="space-y-3">
        {cancel.isError ? <Alert>{messageOf(cancel.error)}</Alert> : null}
        {tasks.length === 0 ? (
          <EmptyState title="No tasks yet">
            Work the hub sends to this site (inventories, cohort counts, training rounds) is listed here.
          </EmptyState>
        ) : (
          <DataTable
            label="Task history"
            columns={columnsFor(now, (t) => cancel.mutate({ taskId: t.id }), cancellingId)}
            rows={tasks}
            rowKey={(t) => t.id}
          />
        )}
      </div>
    </Card>
  );
}
