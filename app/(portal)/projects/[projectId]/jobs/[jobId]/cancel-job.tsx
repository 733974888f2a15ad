"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { ConfirmDialog } from "@/app/_components/ui/dialog";
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
      <ConfirmDialog
        open={isConfirming}
        onOpenChange={setIsConfirming}
        trigger={<Button variant="danger">Cancel job</Button>}
        title="Cancel this job?"
        description="Sites stop their work; versions already written are kept."
        confirmLabel="Yes, cancel the job"
        pendingLabel="Cancelling…"
        cancelLabel="Keep running"
        isPending={cancel.isPending}
        onConfirm={() => cancel.mutate({ projectId, jobId })}
      />
      {cancel.error ? <Alert>{messageOf(cancel.error)}</Alert> : null}
    </div>
  );
}
