"use client";

import { useQuery } from "@tanstack/react-query";
import { BackLink } from "@/app/_components/ui/back-link";
import { Alert } from "@/app/_components/ui/alert";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { SiteStatusBadge } from "../site-status-badge";
import { EditSite } from "./edit-site";
import { HealthPanel } from "./health-panel";
import { InventoryPanel } from "./inventory-panel";
import { SiteTokens } from "./site-tokens";
import { TaskHistory } from "./task-history";

/** One site's worker, tokens, data and work; refetched every 2 s like the sites list. */
export function SiteView({ siteId }: { siteId: string }) {
  const trpc = useTRPC();
  // Polls once the site has loaded; a missing site or a refused request is not retried every 2 s.
  const detail = useQuery(
    trpc.siteNetwork.detail.queryOptions(
      { siteId },
      { refetchInterval: (query) => (query.state.data ? 2_000 : false) },
    ),
  );

  const back = <BackLink href="/admin/sites">All sites</BackLink>;
  if (!detail.data) {
    return (
      <>
        {back}
        {detail.isError ? <Alert>{messageOf(detail.error)}</Alert> : <Loading label="Loading site…" />}
      </>
    );
  }

  const { site, health, status, inventory, tokens, tasks } = detail.data;
  const hasPendingInventory = tasks.some(
    (t) => t.kind === "site_inventory" && (t.status === "queued" || t.status === "leased"),
  );
  return (
    <>
      {back}
      <PageHeader
        title={site.name}
        description={`Site code ${site.code} · ${site.region}`}
        actions={<SiteStatusBadge status={status} health={health} testId={`site-status-${site.code}`} />}
      />
      {/* A failed refresh keeps the last state on screen and says it may be stale. */}
      {detail.isError ? (
        <div className="mb-4">
          <Alert tone="warning">Could not refresh ({messageOf(detail.error)}). Showing the last known state.</Alert>
        </div>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-3">
        <div className="min-w-0 space-y-6 lg:col-span-2">
          <HealthPanel status={status} health={health} />
          <InventoryPanel siteId={siteId} inventory={inventory} hasPendingInventory={hasPendingInventory} />
        </div>
        <div className="min-w-0 space-y-6">
          <SiteTokens siteId={siteId} siteCode={site.code} tokens={tokens} />
          <EditSite siteId={siteId} />
        </div>
        <div className="min-w-0 lg:col-span-3">
          <TaskHistory tasks={tasks} />
        </div>
      </div>
    </>
  );
}
