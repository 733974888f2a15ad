"use client";

import { useQuery } from "@tanstack/react-query";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { useTRPC } from "@/app/_trpc/client";

/**
 * Tells a site's approvers who else is about to decide, or recently began or stopped deciding, for
 * their Trust, so an approver grant nobody at the Trust asked for is noticed. Hidden when nothing changed.
 */
export function ApproverChanges({ siteId, siteCode }: { siteId: string; siteCode: string }) {
  const trpc = useTRPC();
  const changes = useQuery(trpc.approvals.approverChanges.queryOptions({ siteId }));
  if (!changes.data || (changes.data.pending.length === 0 && changes.data.recent.length === 0)) return null;
  return (
    <div className="mb-4">
      <Alert tone="info">
        <p className="font-medium">Changes to who approves for {siteCode}</p>
        <ul aria-label={`Approver changes at ${siteCode}`} className="mt-1 list-disc space-y-1 pl-5 text-sm">
          {changes.data.pending.map((p) => (
            <li key={p.id}>
              {p.requestedBy} asked for <strong className="break-all">{p.email}</strong> to become an approver (
              <RelativeTime date={p.requestedAt} />
              ); a second admin must confirm it.
            </li>
          ))}
          {changes.data.recent.map((r) => (
            <li key={r.seq}>
              <strong className="break-all">{r.email}</strong>{" "}
              {r.change === "granted" ? "became an approver" : "stopped being an approver"} (by {r.by},{" "}
              <RelativeTime date={r.at} />
              ).
            </li>
          ))}
        </ul>
        <p className="mt-1 text-xs">If you did not expect this, tell your Trust&apos;s information governance lead.</p>
      </Alert>
    </div>
  );
}
