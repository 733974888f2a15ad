"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Role } from "@/db/schema";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { ConfirmDialog } from "@/app/_components/ui/dialog";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { GrantBadge, type RoleLabels } from "../user-badges";

type Grant = { id: string; role: Role; siteCode: string | null; grantedAt: Date };

export function GrantsList({ grants, roleLabels }: { grants: Grant[]; roleLabels: RoleLabels }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirmingId, setConfirmingId] = useState<string | null>(null);
  const revoke = useMutation(
    trpc.users.revokeRole.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.users.pathFilter()),
          queryClient.invalidateQueries(trpc.audit.pathFilter()),
        ]),
      onSettled: () => setConfirmingId(null),
    }),
  );

  return (
    <div className="space-y-3">
      {revoke.error ? <Alert>{messageOf(revoke.error)}</Alert> : null}
      {grants.length === 0 ? (
        <EmptyState title="No roles">
          This user can sign in but sees only the home page until you grant a role.
        </EmptyState>
      ) : (
        <ul aria-label="Current grants" className="divide-y divide-slate-200 rounded-md border border-slate-200">
          {grants.map((grant) => {
            const label = grant.siteCode ? `${roleLabels[grant.role]} for ${grant.siteCode}` : roleLabels[grant.role];
            return (
              <li key={grant.id} className="flex flex-col gap-2 p-3 sm:flex-row sm:items-center sm:justify-between">
                <div>
                  <GrantBadge grant={grant} roleLabels={roleLabels} />
                  <p className="mt-1 text-xs text-slate-500">
                    Granted{" "}
                    {grant.grantedAt.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" })}
                  </p>
                </div>
                <ConfirmDialog
                  open={confirmingId === grant.id}
                  onOpenChange={(open) => {
                    if (open) revoke.reset();
                    setConfirmingId(open ? grant.id : null);
                  }}
                  trigger={
                    <Button variant="secondary" className="self-start sm:self-auto" aria-label={`Revoke ${label}`}>
                      Revoke
                    </Button>
                  }
                  title={`Revoke ${label}?`}
                  description="The user loses what this role allows from their next request."
                  confirmLabel="Confirm revoke"
                  pendingLabel="Revoking…"
                  isPending={revoke.isPending}
                  onConfirm={() => revoke.mutate({ grantId: grant.id })}
                />
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
