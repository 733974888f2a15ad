"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { DataTable } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { shortHash } from "./hash-format";

export function SiteInbox({ siteId, siteCode }: { siteId: string; siteCode: string }) {
  const trpc = useTRPC();
  const inbox = useQuery({ ...trpc.approvals.inbox.queryOptions({ siteId }), refetchInterval: 15_000 });

  if (inbox.isPending) return <Loading label="Loading requests…" />;
  if (inbox.isError) return <Alert>{messageOf(inbox.error)}</Alert>;
  if (inbox.data.length === 0)
    return <EmptyState title="No requests waiting">Nothing needs a decision from {siteCode} right now.</EmptyState>;
  return (
    <DataTable
      label={`Requests waiting for ${siteCode}`}
      rowKey={(row) => row.approvalId}
      rows={inbox.data}
      columns={[
        {
          header: "Project",
          cell: (row) => (
            <Link
              href={`/approvals/${siteId}/${row.approvalId}`}
              className="font-medium text-nhs-blue underline-offset-2 hover:underline"
            >
              {row.projectTitle}
            </Link>
          ),
        },
        {
          header: "Revision",
          cell: (row) => <span className="tabular-nums">Revision {row.revisionNumber}</span>,
        },
        { header: "Requested", cell: (row) => <RelativeTime date={row.requestedAt} /> },
        {
          header: "Bundle",
          cell: (row) => (
            <code title={row.bundleHash} className="font-mono text-xs text-slate-700">
              {shortHash(row.bundleHash)}
            </code>
          ),
        },
      ]}
    />
  );
}
