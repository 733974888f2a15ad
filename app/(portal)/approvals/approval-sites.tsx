"use client";

import { useQuery } from "@tanstack/react-query";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import Link from "next/link";
import { textLinkClass } from "@/app/_components/ui/text-link";
import { ApproverChanges } from "./approver-changes";
import { SigningKeys } from "./signing-keys";
import { EmailPreference } from "./email-preference";
import { SiteInbox } from "./site-inbox";
import { SiteProjects } from "./site-projects";

export function ApprovalSites() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.approvals.mySites.queryOptions());

  if (sites.isPending) return <Loading label="Loading your sites…" />;
  if (sites.isError) return <Alert>{messageOf(sites.error)}</Alert>;
  if (sites.data.length === 0) {
    return (
      <EmptyState title="You approve for no site">
        Ask a platform admin to grant you the approver role for your Trust.
      </EmptyState>
    );
  }
  return (
    <div className="space-y-6">
      <SigningKeys />
      <EmailPreference />
      {sites.data.map((site) => (
        <section
          key={site.siteId}
          aria-labelledby={`approvals-${site.siteId}`}
          className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5"
        >
          <div className="mb-3 flex flex-wrap items-center gap-2">
            <h2 id={`approvals-${site.siteId}`} className="text-base font-semibold text-slate-900">
              {site.name}
            </h2>
            {site.code ? <Badge tone="blue">{site.code}</Badge> : null}
          </div>
          <p className="mb-4 text-sm text-slate-600">
            Each project revision that asks to use {site.name}&apos;s data needs its own decision: if a researcher
            changes the cohort, model or outputs, it comes back to you.
          </p>
          <ApproverChanges siteId={site.siteId} siteCode={site.code ?? site.name ?? "your site"} />
          <SiteInbox siteId={site.siteId} siteCode={site.code ?? site.name ?? "your site"} />
          <div className="mt-6 mb-3 flex flex-wrap items-baseline justify-between gap-2">
            <h3 className="text-sm font-semibold text-slate-900">
              Projects using {site.code ?? site.name}&apos;s data
            </h3>
            <Link href={`/approvals/${site.siteId}/history`} className={textLinkClass}>
              Decision history
            </Link>
          </div>
          <SiteProjects siteId={site.siteId} siteCode={site.code ?? site.name ?? "your site"} />
        </section>
      ))}
    </div>
  );
}
