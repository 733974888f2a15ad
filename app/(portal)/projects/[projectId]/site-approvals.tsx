import { Card } from "@/app/_components/ui/card";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { formatDateTime } from "@/app/_components/time-format";
import { shortHash } from "@/app/(portal)/approvals/hash-format";
import { ApprovalStatusBadge } from "../_components/status-badges";
import type { SiteApproval } from "../_components/types";

/** Which revision, and so which model specs, the site lets run: the current one, an older one, or none. */
function ApprovedRevisionCell({ site, revisionNumber }: { site: SiteApproval; revisionNumber: number }) {
  const approved = site.approvedRevision;
  if (!approved) return <span className="text-slate-500">None</span>;
  const isCurrent = approved.number === revisionNumber && site.status === "approved";
  return (
    <span className="block space-y-1">
      <span className="block">
        Revision {approved.number}{" "}
        <code title={approved.bundleHash} className="font-mono text-xs text-slate-600">
          {shortHash(approved.bundleHash)}
        </code>
      </span>
      {!isCurrent ? (
        <span className="block text-xs text-amber-800">
          Not the current revision: nothing runs here until it is approved.
        </span>
      ) : null}
      <span className="block text-xs text-slate-600">
        {approved.models.length
          ? `Models: ${approved.models.map((m) => `${m.name} (${m.task})`).join(", ")}`
          : "No model specs in this revision"}
      </span>
    </span>
  );
}

function columns(revisionNumber: number): Column<SiteApproval>[] {
  return [
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
    { header: "Approved revision", cell: (s) => <ApprovedRevisionCell site={s} revisionNumber={revisionNumber} /> },
    {
      header: "Comment",
      cell: (s) =>
        s.comment ? (
          <span className="block">
            {s.status === "withdrawn" ? (
              <span className="block text-xs font-semibold text-red-800">
                Approval withdrawn: its tasks here were stopped; nothing runs until the site decides again.
              </span>
            ) : null}
            <q className="whitespace-pre-line text-slate-800">{s.comment}</q>
          </span>
        ) : (
          <span className="text-slate-500">—</span>
        ),
      className: "md:max-w-xs",
    },
  ];
}

/** Each requested site's decision on the CURRENT revision, and the newest revision it approved with its model specs. */
export function SiteApprovals({ sites, revisionNumber }: { sites: SiteApproval[]; revisionNumber: number }) {
  return (
    <Card title="Site approvals">
      <p className="mb-3 text-sm text-slate-600">
        Decisions on revision {revisionNumber}. Work reaches a site only while it has approved this revision; a site may
        withdraw its approval at any time, which stops its tasks.
      </p>
      {sites.length === 0 ? (
        <EmptyState title="Not submitted to any site yet">
          Run a feasibility count, then use “Submit for approval” to ask the sites you need.
        </EmptyState>
      ) : (
        <DataTable label="Site approvals" columns={columns(revisionNumber)} rows={sites} rowKey={(s) => s.siteId} />
      )}
    </Card>
  );
}
