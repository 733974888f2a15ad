import { Card } from "@/app/_components/ui/card";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { formatDateTime } from "@/app/_components/time-format";
import { ApprovalStatusBadge } from "../_components/status-badges";
import type { SiteApproval } from "../_components/types";

const columns: Column<SiteApproval>[] = [
  {
    header: "Site",
    cell: (s) => (
      <span>
        <span className="font-semibold">{s.code}</span> <span className="text-slate-600">{s.name}</span>
      </span>
    ),
  },
  { header: "Decision", cell: (s) => <ApprovalStatusBadge status={s.status} /> },
  {
    header: "Decided",
    cell: (s) =>
      s.decidedAt ? (
        <span>
          {s.decidedBy ?? "A site approver"}
          <span className="block text-xs text-slate-500">{formatDateTime(s.decidedAt)}</span>
        </span>
      ) : (
        <span className="text-slate-500">Awaiting the site</span>
      ),
  },
  {
    header: "Comment",
    cell: (s) =>
      s.comment ? (
        <q className="whitespace-pre-line text-slate-800">{s.comment}</q>
      ) : (
        <span className="text-slate-500">—</span>
      ),
    className: "md:max-w-xs",
  },
];

/** Each requested site's decision on the CURRENT revision; an older revision's decisions no longer count. */
export function SiteApprovals({ sites, revisionNumber }: { sites: SiteApproval[]; revisionNumber: number }) {
  return (
    <Card title="Site approvals">
      <p className="mb-3 text-sm text-slate-600">
        Decisions on revision {revisionNumber}. Work reaches a site only while it has approved this revision.
      </p>
      {sites.length === 0 ? (
        <EmptyState title="Not submitted to any site yet">
          Run a feasibility count, then use “Submit for approval” to ask the sites you need.
        </EmptyState>
      ) : (
        <DataTable label="Site approvals" columns={columns} rows={sites} rowKey={(s) => s.siteId} />
      )}
    </Card>
  );
}
