"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { RelativeTime } from "@/app/_components/relative-time";
import { Sparkline } from "@/app/_components/sparkline";
import { Alert } from "@/app/_components/ui/alert";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { formatMemoryMb } from "./site-format";
import type { SiteMonitorRow } from "./site-network-types";
import { shortDegradedReasonOf, SiteStatusBadge } from "./site-status-badge";

const HOUR_MS = 3_600_000;

function TaskCounts({ tasks }: { tasks: SiteMonitorRow["tasks"] }) {
  return (
    <dl className="flex gap-3 text-xs text-slate-600 tabular-nums">
      {(["queued", "leased", "failed"] as const).map((k) => (
        <div key={k} className="flex flex-col items-start md:items-center">
          <dd
            className={`text-sm font-semibold ${k === "failed" && tasks.failed > 0 ? "text-red-700" : "text-slate-900"}`}
          >
            {tasks[k]}
          </dd>
          <dt>{k}</dt>
        </div>
      ))}
    </dl>
  );
}

function columnsAt(now: number): Column<SiteMonitorRow>[] {
  return [
    {
      header: "Site",
      cell: (s) => (
        <div>
          <Link
            href={`/admin/sites/${s.id}`}
            className="font-mono font-semibold text-nhs-blue underline-offset-2 hover:underline"
          >
            {s.code}
          </Link>
          <p className="text-slate-900">{s.name}</p>
          <p className="text-xs text-slate-500">{s.region}</p>
        </div>
      ),
    },
    {
      header: "Status",
      cell: (s) => {
        const reason = s.status === "degraded" ? shortDegradedReasonOf(s.health) : null;
        return (
          <div className="space-y-1">
            <SiteStatusBadge status={s.status} health={s.health} testId={`site-status-${s.code}`} />
            {reason ? <p className="max-w-48 text-xs break-words text-amber-900">{reason}</p> : null}
          </div>
        );
      },
    },
    { header: "Last seen", cell: (s) => <RelativeTime date={s.health?.lastSeenAt ?? null} /> },
    {
      header: "Worker",
      cell: (s) =>
        s.health?.workerVersion ? (
          <div className="text-xs">
            <p className="font-mono">v{s.health.workerVersion}</p>
            {s.health.protocolVersion ? <p className="text-slate-600">protocol {s.health.protocolVersion}</p> : null}
          </div>
        ) : (
          <span className="text-slate-500">—</span>
        ),
    },
    {
      header: "Backend / GPU",
      cell: (s) => {
        const caps = s.health?.capabilities;
        if (!caps) return <span className="text-slate-500">—</span>;
        return (
          <div className="text-xs">
            <p className="font-mono">{caps.tfjsBackend}</p>
            <p className="text-slate-600">
              {caps.gpu ? `${caps.gpu.name} (${formatMemoryMb(caps.gpu.memoryMb)})` : "No GPU"}
            </p>
          </div>
        );
      },
    },
    {
      header: "Last hour",
      cell: (s) => (
        <Sparkline
          windowLabel="over the last hour"
          from={new Date(now - HOUR_MS)}
          to={new Date(now)}
          series={[
            { name: "CPU", tone: "blue", points: s.utilisation.map((p) => ({ at: p.at, value: p.cpu })) },
            { name: "Memory", tone: "violet", points: s.utilisation.map((p) => ({ at: p.at, value: p.memory })) },
          ]}
        />
      ),
    },
    { header: "Tasks", cell: (s) => <TaskCounts tasks={s.tasks} /> },
  ];
}

/** The live network: refetched every 2 s so status, utilisation and queues move without a reload. */
export function SitesList() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.siteNetwork.monitor.queryOptions(undefined, { refetchInterval: 2_000 }));

  return (
    <section aria-labelledby="sites-list-title" className="space-y-3">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="sites-list-title" className="text-lg font-semibold text-slate-900">
          Registered Trusts
        </h2>
        <p className="text-xs text-slate-500">Live: updates every 2 seconds</p>
      </div>
      {sites.data ? (
        sites.data.length === 0 ? (
          <EmptyState title="No sites yet">Register the first Trust with the form above.</EmptyState>
        ) : (
          <>
            {/* A failed refresh keeps the last rows on screen and says they may be stale. */}
            {sites.isError ? (
              <Alert tone="warning">Could not refresh ({messageOf(sites.error)}). Showing the last known state.</Alert>
            ) : null}
            <DataTable label="Sites" columns={columnsAt(sites.dataUpdatedAt)} rows={sites.data} rowKey={(s) => s.id} />
          </>
        )
      ) : sites.isError ? (
        <Alert>{messageOf(sites.error)}</Alert>
      ) : (
        <Loading label="Loading sites…" />
      )}
    </section>
  );
}
