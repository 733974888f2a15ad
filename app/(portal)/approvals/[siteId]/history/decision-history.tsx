"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { formatDateTime } from "@/app/_components/time-format";
import { Alert } from "@/app/_components/ui/alert";
import { BackLink } from "@/app/_components/ui/back-link";
import { DataTable } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { Pagination } from "@/app/_components/ui/pagination";
import { textLinkClass } from "@/app/_components/ui/text-link";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { DecisionBadge } from "../../approval-status";
import { shortHash } from "../../hash-format";

/** Every decision made for the site, newest first, each with the bundle it covered (opened on its request page). */
export function DecisionHistory({ siteId, siteCode }: { siteId: string; siteCode: string }) {
  const trpc = useTRPC();
  const [page, setPage] = useState(1);
  const [mine, setMine] = useState(false);
  const history = useQuery({
    ...trpc.approvals.history.queryOptions({ siteId, mine, page }),
    placeholderData: keepPreviousData,
  });

  return (
    <div className="space-y-4">
      <div>
        <BackLink href="/approvals">Approvals</BackLink>
        <PageHeader
          title={`Decision history for ${siteCode}`}
          description="Every approval, decline and withdrawal made for your site, with the bundle hash each one covered. Open one to read its full bundle."
        />
      </div>
      <label className="flex items-center gap-2 text-sm text-slate-800">
        <input
          type="checkbox"
          checked={mine}
          onChange={(e) => {
            setMine(e.target.checked);
            setPage(1);
          }}
          className="size-4 accent-nhs-blue"
        />
        Only my decisions
      </label>
      {history.isPending ? (
        <Loading label="Loading decisions…" />
      ) : history.isError ? (
        <Alert>{messageOf(history.error)}</Alert>
      ) : history.data.rows.length === 0 ? (
        <EmptyState title="No decisions yet">
          {mine ? "You have not decided on any request for this site." : `Nobody has decided for ${siteCode} yet.`}
        </EmptyState>
      ) : (
        <>
          <DataTable
            label={`Decisions for ${siteCode}`}
            rowKey={(row) => row.id}
            rows={history.data.rows}
            columns={[
              {
                header: "When",
                cell: (row) => <time dateTime={row.decidedAt.toISOString()}>{formatDateTime(row.decidedAt)}</time>,
              },
              { header: "Decision", cell: (row) => <DecisionBadge decision={row.decision} /> },
              {
                header: "Project",
                cell: (row) => (
                  <Link href={`/approvals/${siteId}/${row.approvalId}`} className={textLinkClass}>
                    {row.projectTitle}, revision {row.revisionNumber}
                  </Link>
                ),
              },
              {
                header: "Bundle",
                cell: (row) => (
                  <code title={row.bundleHash} className="font-mono text-xs text-slate-700">
                    {shortHash(row.bundleHash)}
                  </code>
                ),
              },
              { header: "By", cell: (row) => row.decidedBy ?? "A former approver" },
              {
                header: "Comment",
                cell: (row) =>
                  row.comment ? (
                    <q className="whitespace-pre-line text-slate-800">{row.comment}</q>
                  ) : (
                    <span className="text-slate-500">—</span>
                  ),
                className: "md:max-w-xs",
              },
            ]}
          />
          <Pagination
            page={page}
            pageSize={history.data.pageSize}
            total={history.data.total}
            noun="decisions"
            onPageChange={setPage}
          />
        </>
      )}
    </div>
  );
}
