import type { RouterOutput } from "@/app/_trpc/types";
import { Badge } from "@/app/_components/ui/badge";
import { DataTable, type Column } from "@/app/_components/ui/data-table";

type AuditRow = RouterOutput["audit"]["list"]["events"][number];

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** `key: value` pairs, one level of nesting flattened into dotted keys (e.g. `after.name`). */
function formatDetails(details: Record<string, unknown>): string {
  const pairs = Object.entries(details).flatMap(([key, value]) =>
    value && typeof value === "object" && !Array.isArray(value)
      ? Object.entries(value).map(([inner, v]) => `${key}.${inner}: ${formatValue(v)}`)
      : [`${key}: ${formatValue(value)}`],
  );
  return pairs.join(" · ");
}

const columns: Column<AuditRow>[] = [
  { header: "#", cell: (e) => <span className="font-mono text-slate-600">{e.seq}</span> },
  {
    header: "Time",
    className: "md:whitespace-nowrap",
    cell: (e) =>
      e.at.toLocaleString("en-GB", {
        day: "2-digit",
        month: "short",
        year: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
      }),
  },
  {
    header: "Actor",
    cell: (e) => (
      <span className="flex flex-wrap items-center gap-1.5">
        <span className="break-words">{e.actorLabel}</span>
        <Badge tone={e.actorType === "user" ? "blue" : e.actorType === "site" ? "green" : "neutral"}>
          {e.actorType}
        </Badge>
      </span>
    ),
  },
  {
    header: "Action",
    cell: (e) => <code className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-800">{e.action}</code>,
  },
  { header: "Subject", cell: (e) => <span className="font-mono text-xs break-words">{e.subject}</span> },
  {
    header: "Details",
    cell: (e) => (
      <span className="text-xs text-slate-700">{Object.keys(e.details).length ? formatDetails(e.details) : "—"}</span>
    ),
  },
];

export function AuditTable({ events }: { events: AuditRow[] }) {
  return <DataTable label="Audit events" columns={columns} rows={events} rowKey={(e) => String(e.seq)} />;
}
