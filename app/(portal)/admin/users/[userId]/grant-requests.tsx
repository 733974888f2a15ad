"use client";

import { useStepUp } from "@/app/_components/second-factor/step-up";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/** Approver grants waiting for a second admin; shown only when there are some. */
export function GrantRequests({ userId }: { userId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const requests = useQuery(trpc.users.grantRequests.queryOptions({ userId }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.users.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  const confirm = useMutation(trpc.users.confirmGrant.mutationOptions({ onSuccess: refresh }));
  const { withStepUp, dialog } = useStepUp();
  const cancel = useMutation(trpc.users.cancelGrantRequest.mutationOptions({ onSuccess: refresh }));
  if (!requests.data?.length) return null;
  const error = confirm.error ?? cancel.error;
  return (
    <Card title="Waiting for a second admin">
      {dialog}
      {error ? <Alert>{messageOf(error)}</Alert> : null}
      <ul aria-label="Grants waiting for confirmation" className="divide-y divide-slate-200">
        {requests.data.map((r) => (
          <li key={r.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
            <span className="min-w-0 text-sm">
              <span className="block font-medium text-slate-900">
                Approver for {r.siteCode} · {r.siteName}
              </span>
              <span className="block text-xs break-all text-slate-500">
                Asked by {r.requestedBy.name} on {new Date(r.requestedAt).toLocaleString("en-GB")}
              </span>
            </span>
            <span className="flex gap-2">
              <Button
                className="px-2.5 py-1 text-xs"
                disabled={confirm.isPending}
                onClick={() => void withStepUp(() => confirm.mutateAsync({ requestId: r.id })).catch(() => undefined)}
              >
                Confirm grant
              </Button>
              <Button
                variant="secondary"
                className="px-2.5 py-1 text-xs"
                disabled={cancel.isPending}
                onClick={() => cancel.mutate({ requestId: r.id })}
              >
                Cancel request
              </Button>
            </span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
