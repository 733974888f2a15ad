"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { DataTable } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { textLinkClass } from "@/app/_components/ui/text-link";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { ApprovalStateBadge } from "./approval-status";

/** Every project that asked for this site: its state here and how much work it sent, each opening what ran. */
export function SiteProjects({ siteId, siteCode }: { siteId: string; siteCode: string }) {
  const trpc = useTRPC();
  const projects = useQuery(trpc.approvals.projects.queryOptions({ siteId }));

  if (projects.isPending) return <Loading label="Loading projects…" />;
  if (projects.isError) return <Alert>{messageOf(projects.error)}</Alert>;
  if (projects.data.length === 0)
    return <EmptyState title="No projects yet">No project has asked to use {siteCode}&apos;s data.</EmptyState>;
  return (
    <DataTable
      label={`Projects at ${siteCode}`}
      rowKey={(row) => row.projectId}
      rows={projects.data}
      columns={[
        {
          header: "Project",
          cell: (row) => (
            <Link href={`/approvals/${siteId}/projects/${row.projectId}`} className={textLinkClass}>
              {row.title}
            </Link>
          ),
        },
        { header: "Here", cell: (row) => <ApprovalStateBadge status={row.approvalStatus} /> },
        { header: "Revision", cell: (row) => <span className="tabular-nums">{row.revisionNumber}</span> },
        {
          header: "Tasks run",
          cell: (row) => (
            <span className="tabular-nums">
              {row.taskCount}
              {row.lastTaskAt ? (
                <span className="block text-xs text-slate-500">
                  last <RelativeTime date={row.lastTaskAt} />
                </span>
              ) : null}
            </span>
          ),
        },
      ]}
    />
  );
}
