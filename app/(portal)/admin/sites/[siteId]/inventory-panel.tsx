"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import type { Cell } from "@/protocol/contract";
import { formatCount } from "../site-format";
import type { SiteDetail } from "../site-network-types";

/** A count the site suppressed shows as "< threshold", never as zero, and says why. */
function CellValue({ cell, threshold }: { cell: Cell; threshold: number }) {
  if (typeof cell === "number") return <span className="tabular-nums">{formatCount(cell)}</span>;
  return (
    <abbr
      title={`Suppressed at the site: fewer than ${threshold}. Counts below the site's threshold are withheld (and indistinguishable from zero) so that no small group of patients can be singled out.`}
      className="cursor-help text-slate-600 tabular-nums decoration-dotted"
    >
      &lt; {threshold}
    </abbr>
  );
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rounded-md bg-slate-50 px-3 py-2">
      <dt className="text-xs font-medium text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-xl font-semibold text-slate-900">{children}</dd>
    </div>
  );
}

export function InventoryPanel({
  siteId,
  inventory,
  hasPendingInventory,
}: {
  siteId: string;
  inventory: SiteDetail["inventory"];
  hasPendingInventory: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const request = useMutation(
    trpc.siteNetwork.requestInventory.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.siteNetwork.pathFilter()),
          queryClient.invalidateQueries(trpc.audit.pathFilter()),
        ]),
    }),
  );
  const result = inventory?.result;
  const modalities = result ? Object.entries(result.imagesByModality).sort(([a], [b]) => a.localeCompare(b)) : [];

  return (
    <Card
      title="Data available"
      actions={
        <Button
          type="button"
          variant="secondary"
          onClick={() => request.mutate({ siteId })}
          disabled={request.isPending}
        >
          {request.isPending ? "Requesting…" : "Run inventory now"}
        </Button>
      }
    >
      <div className="space-y-4">
        {request.isError ? <Alert>{messageOf(request.error)}</Alert> : null}
        {hasPendingInventory ? (
          <Alert tone="info">An inventory is queued or running at the site; this updates when it finishes.</Alert>
        ) : null}
        {!inventory || !result ? (
          <EmptyState title="No inventory yet">
            The site worker reports what data it holds after it first connects, or when you run an inventory.
          </EmptyState>
        ) : (
          <>
            <p className="text-xs text-slate-500">
              Reported <RelativeTime date={inventory.receivedAt} /> · counts below {result.threshold} are suppressed by
              the site
            </p>
            <dl className="grid grid-cols-2 gap-3">
              <Stat label="Persons">
                <CellValue cell={result.persons} threshold={result.threshold} />
              </Stat>
              <Stat label="Observation years">
                <CellValue cell={result.observationYears} threshold={result.threshold} />
              </Stat>
            </dl>
            <div className="grid gap-4 md:grid-cols-[minmax(0,1fr)_minmax(0,2fr)]">
              <div>
                <h3 className="text-sm font-semibold text-slate-900">Images by modality</h3>
                {modalities.length === 0 ? (
                  <p className="mt-1 text-sm text-slate-500">No imaging data.</p>
                ) : (
                  <table className="mt-2 w-full text-sm">
                    <tbody className="divide-y divide-slate-100">
                      {modalities.map(([modality, cell]) => (
                        <tr key={modality}>
                          <th scope="row" className="py-1.5 text-left font-mono font-medium">
                            {modality}
                          </th>
                          <td className="py-1.5 text-right">
                            <CellValue cell={cell} threshold={result.threshold} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
              <div>
                <h3 className="text-sm font-semibold text-slate-900">Top conditions</h3>
                {result.topConditions.length === 0 ? (
                  <p className="mt-1 text-sm text-slate-500">No conditions recorded.</p>
                ) : (
                  <table className="mt-2 w-full text-sm">
                    <thead className="sr-only">
                      <tr>
                        <th scope="col">Condition</th>
                        <th scope="col">Persons</th>
                      </tr>
                    </thead>
                    <tbody className="divide-y divide-slate-100">
                      {result.topConditions.map((c) => (
                        <tr key={c.conceptId}>
                          <td className="py-1.5 pr-3">
                            {c.name} <span className="font-mono text-xs text-slate-500">{c.conceptId}</span>
                          </td>
                          <td className="py-1.5 text-right">
                            <CellValue cell={c.persons} threshold={result.threshold} />
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </div>
            </div>
          </>
        )}
      </div>
    </Card>
  );
}
