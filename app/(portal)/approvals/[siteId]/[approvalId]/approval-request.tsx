"use client";

import { useQuery } from "@tanstack/react-query";
import { BundleView } from "@/app/_components/bundle-view";
import { BackLink } from "@/app/_components/ui/back-link";
import { Alert } from "@/app/_components/ui/alert";
import { Card } from "@/app/_components/ui/card";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { BundleChanges } from "./bundle-changes";
import { DecisionForm } from "./decision-form";
import { DecisionRecord } from "./decision-record";
import { SiteCount } from "./site-count";

export function ApprovalRequest({
  siteId,
  approvalId,
  siteCode,
}: {
  siteId: string;
  approvalId: string;
  siteCode: string;
}) {
  const trpc = useTRPC();
  const request = useQuery(trpc.approvals.request.queryOptions({ siteId, approvalId }));

  const back = <BackLink href="/approvals">All requests</BackLink>;
  if (request.isPending) return <Loading label="Loading the request…" />;
  if (request.isError) {
    return (
      <div className="space-y-4">
        {back}
        <Alert>{messageOf(request.error)}</Alert>
      </div>
    );
  }
  const r = request.data;
  // A withdrawn approval of the current revision takes a new decision to reinstate (or decline).
  const isUndecided = (r.status === "pending" || r.status === "withdrawn") && r.isCurrent;
  const isOpen = isUndecided && !r.conflictOfInterest;
  return (
    <div className="space-y-6">
      <div>
        {back}
        <div className="mt-3">
          <PageHeader
            title={r.projectTitle}
            description={
              <>
                Revision {r.revisionNumber}, asking to use data at {siteCode}.
                {isOpen ? " Review it below, then record your decision at the end of the page." : ""}
                <span className="mt-1 block font-mono text-xs break-all text-slate-500">
                  Bundle hash {r.bundleHash}
                </span>
              </>
            }
          />
        </div>
      </div>

      {r.status === "pending" && r.isCurrent ? null : <DecisionRecord request={r} />}
      {isUndecided && r.conflictOfInterest ? (
        <Alert tone="warning">
          {r.conflictOfInterest} Separation of duties: whoever works on a project does not also approve it.
        </Alert>
      ) : null}

      <SiteCount siteCount={r.siteCount} hasCohort={!!r.bundle.cohort} siteCode={siteCode} />

      {r.previouslyApproved ? (
        <BundleChanges previous={r.previouslyApproved} revisionNumber={r.revisionNumber} bundle={r.bundle} />
      ) : null}

      <Card title="What the site is asked to allow">
        <BundleView bundle={r.bundle} />
      </Card>

      {isOpen ? (
        <DecisionForm
          siteId={siteId}
          approvalId={approvalId}
          siteCode={siteCode}
          revisionNumber={r.revisionNumber}
          revision={{ projectId: r.projectId, revisionId: r.revisionId, bundleHash: r.bundleHash }}
        />
      ) : null}
    </div>
  );
}
