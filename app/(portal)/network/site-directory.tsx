"use client";

import { useQuery } from "@tanstack/react-query";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

export function SiteDirectory() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.directory.queryOptions());

  if (sites.isPending) return <Loading label="Loading the network…" />;
  if (sites.isError) return <Alert>{messageOf(sites.error)}</Alert>;
  if (sites.data.length === 0) {
    return (
      <EmptyState title="No Trusts have joined yet">
        Once a platform admin registers a site, it appears here.
      </EmptyState>
    );
  }
  return (
    <>
      <p className="mb-3 text-sm text-slate-600">
        {sites.data.length} {sites.data.length === 1 ? "Trust" : "Trusts"} in the network
      </p>
      <ul aria-label="Participating Trusts" className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {sites.data.map((site) => (
          <li
            key={site.id}
            className="rounded-lg border border-t-4 border-slate-200 border-t-nhs-blue bg-white p-4 shadow-sm"
          >
            <div className="flex items-start justify-between gap-2">
              <h2 className="font-semibold text-slate-900">{site.name}</h2>
              <Badge tone="blue">{site.code}</Badge>
            </div>
            <p className="mt-2 text-sm text-slate-600">
              <span className="sr-only">Region: </span>
              {site.region}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}
