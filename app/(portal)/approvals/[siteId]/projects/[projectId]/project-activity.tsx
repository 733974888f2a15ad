"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatDateTime } from "@/app/_components/time-format";
import { Alert } from "@/app/_components/ui/alert";
import { BackLink } from "@/app/_components/ui/back-link";
import { Card } from "@/app/_components/ui/card";
import { DataTable } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { textLinkClass } from "@/app/_components/ui/text-link";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { ApprovalStateBadge } from "../../../approval-status";
import { WithdrawApproval } from "./withdraw-approval";

const KINDS = {
  cohort_count: "Cohort count",
  train: "Training round",
  evaluate: "Evaluation",
  site_inventory: "Inventory",
};

/** What one project ran on the site's data as the hub recorded it, and the site's approval with its withdrawal. */
export function ProjectActivity({
  siteId,
  projectId,
  siteCode,
}: {
  siteId: string;
  projectId: string;
  siteCode: string;
}) {
  const trpc = useTRPC();
  const activity = useQuery({
    ...trpc.approvals.projectActivity.queryOptions({ siteId, projectId }),
    refetchInterval: 10_000,
  });

  const back = <BackLink href="/approvals">Approvals</BackLink>;
  if (activity.isPending) return <Loading label="Loading what ran…" />;
  if (activity.isError)
    return (
      <div className="space-y-4">
        {back}
        <Alert>{messageOf(activity.error)}</Alert>
      </div>
    );
  const a = activity.data;
  return (
    <div className="space-y-6">
      <div>
        {back}
        <PageHeader
          title={a.title}
          description={`What this project ran on ${siteCode}'s data, as the portal recorded it. Your site's own ledger (flip-worker ledger projects) is the Trust's independent record.`}
        />
      </div>

      <Card title={`${siteCode}'s approval`}>
        <div className="space-y-3 text-sm">
          <p className="flex flex-wrap items-center gap-2">
            <ApprovalStateBadge status={a.approvalStatus} />
            <span className="text-slate-700">Revision {a.revisionNumber}</span>
            {a.decidedAt ? (
              <span className="text-slate-600">
                by {a.decidedBy ?? "a former approver"} on {formatDateTime(a.decidedAt)}
              </span>
            ) : null}
          </p>
          {a.comment ? (
            <blockquote className="border-l-4 border-slate-300 pl-3 break-words whitespace-pre-line text-slate-800">
              {a.comment}
            </blockquote>
          ) : null}
          {a.approvalStatus === "withdrawn" ? (
            <Alert tone="warning">
              Withdrawn: nothing of this project runs at {siteCode}. To reinstate it, record a new decision on{" "}
              <Link href={`/approvals/${siteId}/${a.approvalId}`} className={textLinkClass}>
                the request
              </Link>
              .
            </Alert>
          ) : null}
          {a.approvalStatus === "approved" && a.approvalId && a.projectStatus !== "closed" ? (
            <WithdrawApproval siteId={siteId} approvalId={a.approvalId} siteCode={siteCode} projectTitle={a.title} />
          ) : null}
          {a.approvalId ? (
            <p>
              <Link href={`/approvals/${siteId}/${a.approvalId}`} className={textLinkClass}>
                The bundle you decided on
              </Link>
            </p>
          ) : null}
        </div>
      </Card>

      <Card title="Tasks at your site">
        {a.tasks.length === 0 ? (
          <EmptyState title="Nothing has run">This project has sent no work to {siteCode}.</EmptyState>
        ) : (
          <>
            <DataTable
              label={`Tasks of ${a.title} at ${siteCode}`}
              rowKey={(t) => t.id}
              rows={a.tasks}
              columns={[
                {
                  header: "Task",
                  cell: (t) => (
                    <span>
                      {KINDS[t.kind]}
                      {t.purpose ? <span className="block text-xs text-slate-500">{t.purpose}</span> : null}
                    </span>
                  ),
                },
                {
                  header: "When",
                  cell: (t) => (
                    <span>
                      {formatDateTime(t.createdAt)}
                      {t.requestedBy ? <span className="block text-xs text-slate-500">for {t.requestedBy}</span> : null}
                    </span>
                  ),
                },
                {
                  header: "Outcome",
                  cell: (t) => (
                    <span>
                      <span className="capitalize">{t.status}</span>
                      {t.failureMessage ? (
                        <span className="block text-xs text-slate-500">{t.failureMessage}</span>
                      ) : null}
                    </span>
                  ),
                },
                { header: "What left the site", cell: (t) => t.released, className: "md:max-w-sm" },
              ]}
            />
            {a.tasks.length >= a.tasksShown ? (
              <p className="mt-2 text-xs text-slate-500">The newest {a.tasksShown} tasks are shown.</p>
            ) : null}
          </>
        )}
      </Card>
    </div>
  );
}
