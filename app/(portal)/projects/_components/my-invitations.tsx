"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/** Invitations to the signed-in person's email address; hidden when there are none. */
export function MyInvitations() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invitations = useQuery(trpc.projects.myInvitations.queryOptions());
  const answer = useMutation(
    trpc.projects.answerInvitation.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.projects.myInvitations.queryFilter()),
          queryClient.invalidateQueries(trpc.projects.list.pathFilter()),
        ]),
    }),
  );
  if (!invitations.data?.length) return null;
  return (
    <div className="mb-6">
      <Card title="Invitations">
        {answer.error ? <Alert>{messageOf(answer.error)}</Alert> : null}
        <ul aria-label="Project invitations" className="divide-y divide-slate-200">
          {invitations.data.map((i) => (
            <li key={i.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <span className="min-w-0 text-sm">
                <span className="block font-medium text-slate-900">{i.projectTitle}</span>
                <span className="block text-xs text-slate-500">
                  As {i.role}
                  {i.invitedBy ? `, invited by ${i.invitedBy}` : ""}
                </span>
              </span>
              <span className="flex gap-2">
                <Button
                  className="px-2.5 py-1 text-xs"
                  disabled={answer.isPending}
                  aria-label={`Accept the invitation to ${i.projectTitle}`}
                  onClick={() => answer.mutate({ invitationId: i.id, accept: true })}
                >
                  Accept
                </Button>
                <Button
                  variant="secondary"
                  className="px-2.5 py-1 text-xs"
                  disabled={answer.isPending}
                  aria-label={`Decline the invitation to ${i.projectTitle}`}
                  onClick={() => answer.mutate({ invitationId: i.id, accept: false })}
                >
                  Decline
                </Button>
              </span>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}
