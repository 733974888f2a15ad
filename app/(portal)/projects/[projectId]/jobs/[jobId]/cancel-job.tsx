"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/** Stopping a job is final: open site tasks are withdrawn and no further version is written, so it asks first. */
export function CancelJob({ projectId, jobId }: { projectId: string; jobId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isConfirming, setIsConfirming] = useState(false);
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.jobs.byId.queryFilter({ projectId, jobId })),
          queryClient.invalidateQueries(trpc.jobs.list.pathFilter()),
        ]),
      onSettled: () => setIsConfirming(false),
    }),
  );

  return (
    <div className="flex flex-col items-start gap-2 sm:items-end">
      {isConfirming ? (
        <div role="group" aria-label="Confirm cancelling the job" className="flex flex-wrap gap-2">
          <Button variant="danger" disabled={cancel.isPending} onClick={() => cancel.mutate({ projectId, jobId })}>
            {cancel.isPending ? "Cancelling…" : "Yes, cancel the job"}
          </Button>
          <Button variant="secondary" onClick={() => setIsConfirming(false)}>
            Keep running
          </Button>
        </div>
      ) : (
        <Button variant="danger" onClick={() => setIsConfirming(true)}>
          Cancel job
        </Button>
      )}
      {isConfirming ? (
        <p className="text-xs text-slate-600">Sites stop their work; versions already written are kept.</p>
      ) : null}
      {cancel.error ? <Alert>{messageOf(cancel.error)}</Alert> : null}
    </div>
  );
}
