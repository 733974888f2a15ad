"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { ConfirmDialog } from "@/app/_components/ui/dialog";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/** Closing is final: no more cohort counts or training; owners confirm it in a dialog. */
export function CloseProject({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isConfirming, setIsConfirming] = useState(false);
  const close = useMutation(
    trpc.projects.close.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.projects.pathFilter()),
      onSettled: () => setIsConfirming(false),
    }),
  );

  return (
    <Card title="Close project">
      <p className="text-sm text-slate-600">A closed project sends no more work to any site and cannot be reopened.</p>
      {close.error ? (
        <div className="mt-3">
          <Alert>{messageOf(close.error)}</Alert>
        </div>
      ) : null}
      <div className="mt-3 flex flex-wrap gap-2">
        <ConfirmDialog
          open={isConfirming}
          onOpenChange={setIsConfirming}
          trigger={<Button variant="danger">Close project</Button>}
          title="Close this project?"
          description="No site receives more work for it, and it cannot be reopened."
          confirmLabel="Yes, close this project"
          pendingLabel="Closing…"
          isPending={close.isPending}
          onConfirm={() => close.mutate({ projectId })}
        />
      </div>
    </Card>
  );
}
