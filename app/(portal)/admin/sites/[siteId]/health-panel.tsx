import type { ReactNode } from "react";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { Card } from "@/app/_components/ui/card";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { formatMemoryMb } from "../site-format";
import type { SiteDetail } from "../site-network-types";
import { degradedReasonOf, SiteStatusBadge } from "../site-status-badge";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

const percent = (v: number | null) => (v === null ? "—" : `${Math.round(v)}%`);

export function HealthPanel({ status, health }: Pick<SiteDetail, "status" | "health">) {
  if (!health) {
    return (
      <Card title="Worker health">
        <EmptyState title="No worker has connected yet — issue a token and start the site worker with it">
          The site runs the worker on its own network with <code className="font-mono">FLIP_SITE_TOKEN</code> set; it
          appears here on its first heartbeat.
        </EmptyState>
      </Card>
    );
  }
  const caps = health.capabilities;
  const reason = status === "degraded" ? degradedReasonOf(health) : null;
  const isOffline = status === "offline";
  return (
    <Card title="Worker health" actions={<SiteStatusBadge status={status} health={health} />}>
      <div className="space-y-4">
        {health.protocolError ? (
          <Alert tone="warning">Protocol error: {health.protocolError}</Alert>
        ) : reason ? (
          <Alert tone="warning">{reason}</Alert>
        ) : null}
        {isOffline ? (
          <Alert tone="info">No heartbeat in the last 30 seconds: the worker is stopped or cannot reach the hub.</Alert>
        ) : null}
        <dl className="grid grid-cols-2 gap-x-6 gap-y-3 sm:grid-cols-4">
          <Fact label="Last seen">
            <RelativeTime date={health.lastSeenAt} />
          </Fact>
          <Fact label="Worker version">
            {health.workerVersion ? <span className="font-mono">v{health.workerVersion}</span> : "—"}
          </Fact>
          <Fact label="Protocol version">{health.protocolVersion ?? "—"}</Fact>
          <Fact label="Tasks in flight">{health.tasksInFlight}</Fact>
          <Fact label="Backend">{caps ? <span className="font-mono">{caps.tfjsBackend}</span> : "—"}</Fact>
          <Fact label="GPU">
            {caps ? (caps.gpu ? `${caps.gpu.name} (${formatMemoryMb(caps.gpu.memoryMb)})` : "none") : "—"}
          </Fact>
          <Fact label="CPUs">{caps ? `${caps.cpuCount}${caps.cpuModel ? ` × ${caps.cpuModel}` : ""}` : "—"}</Fact>
          <Fact label="RAM">{caps ? formatMemoryMb(caps.memoryMb) : "—"}</Fact>
          <Fact label={isOffline ? "CPU when last seen" : "CPU now"}>{percent(health.cpuPercent)}</Fact>
          <Fact label={isOffline ? "Memory when last seen" : "Memory now"}>{percent(health.memoryPercent)}</Fact>
          {caps?.platform ? <Fact label="Platform">{caps.platform}</Fact> : null}
        </dl>
        <div>
          <h3 className="text-sm font-semibold text-slate-900">Self-checks{isOffline ? " (as last reported)" : ""}</h3>
          {health.selfChecks.length === 0 ? (
            <p className="mt-1 text-sm text-slate-500">The worker reported no self-checks.</p>
          ) : (
            <ul className="mt-2 divide-y divide-slate-100 rounded-md border border-slate-200">
              {health.selfChecks.map((check) => (
                <li key={check.name} className="flex items-start gap-2 px-3 py-2 text-sm">
                  <span aria-hidden className={`mt-0.5 font-bold ${check.ok ? "text-green-700" : "text-red-700"}`}>
                    {check.ok ? "✓" : "✗"}
                  </span>
                  <div className="min-w-0">
                    <p>
                      <span className="font-mono">{check.name}</span>{" "}
                      <span className={check.ok ? "text-green-800" : "font-medium text-red-800"}>
                        {check.ok ? "passed" : "failed"}
                      </span>
                    </p>
                    {check.message ? <p className="text-xs break-words text-slate-600">{check.message}</p> : null}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </Card>
  );
}
