"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import type { Invitation, Member } from "../_components/types";

const ROLES = ["owner", "member", "viewer"] as const;

export function MembersCard({
  projectId,
  members,
  invitations,
  isOwner,
}: {
  projectId: string;
  members: Member[];
  invitations: Invitation[];
  isOwner: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries(trpc.projects.byId.queryFilter({ projectId }));
  const add = useMutation(trpc.projects.addMember.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.projects.removeMember.mutationOptions({ onSuccess: refresh }));
  const withdraw = useMutation(trpc.projects.cancelInvitation.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrorsOf(add.error);
  const ownerCount = members.filter((m) => m.role === "owner").length;

  async function onAdd(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    try {
      await add.mutateAsync({
        projectId,
        email: String(data.get("email") ?? ""),
        role: String(data.get("role")) as Member["role"],
      });
      form.reset();
    } catch {
      return; // Shown from `add.error`.
    }
  }

  return (
    <Card title="Members">
      {remove.error ? <Alert>{messageOf(remove.error)}</Alert> : null}
      {withdraw.error ? <Alert>{messageOf(withdraw.error)}</Alert> : null}
      <ul aria-label="Project members" className="divide-y divide-slate-200">
        {members.map((m) => (
          <li key={m.userId} className="flex flex-wrap items-center justify-between gap-2 py-2">
            <span className="min-w-0">
              <span className="block font-medium text-slate-900">{m.name}</span>
              <span className="block text-xs break-all text-slate-500">{m.email}</span>
            </span>
            <span className="flex items-center gap-2">
              <Badge tone={m.role === "owner" ? "blue" : "neutral"}>{m.role}</Badge>
              {isOwner ? (
                <Button
                  variant="secondary"
                  className="px-2.5 py-1 text-xs"
                  aria-label={`Remove ${m.name}`}
                  disabled={remove.isPending || (m.role === "owner" && ownerCount === 1)}
                  title={m.role === "owner" && ownerCount === 1 ? "A project needs at least one owner" : undefined}
                  onClick={() => remove.mutate({ projectId, userId: m.userId })}
                >
                  Remove
                </Button>
              ) : null}
            </span>
          </li>
        ))}
      </ul>
      {invitations.length ? (
        <ul
          aria-label="Invitations not yet accepted"
          className="mt-2 divide-y divide-slate-200 border-t border-slate-200"
        >
          {invitations.map((i) => (
            <li key={i.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
              <span className="min-w-0">
                <span className="block text-sm break-all text-slate-900">{i.email}</span>
                <span className="block text-xs text-slate-500">Invited as {i.role}; joins on accepting</span>
              </span>
              {isOwner ? (
                <Button
                  variant="secondary"
                  className="px-2.5 py-1 text-xs"
                  aria-label={`Withdraw the invitation to ${i.email}`}
                  disabled={withdraw.isPending}
                  onClick={() => withdraw.mutate({ projectId, invitationId: i.id })}
                >
                  Withdraw
                </Button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {isOwner ? (
        <form onSubmit={onAdd} noValidate className="mt-4 space-y-3 border-t border-slate-200 pt-4">
          <h3 className="text-sm font-semibold text-slate-900">Invite a member</h3>
          <p className="text-xs text-slate-500">
            They see the invitation on their Projects page and join when they accept.
          </p>
          {add.isSuccess ? <Alert tone="success">Invitation sent to {add.data.invited}.</Alert> : null}
          {add.error && Object.keys(errors).length === 0 ? <Alert>{messageOf(add.error)}</Alert> : null}
          <TextField label="Email" name="email" type="email" autoComplete="off" errors={errors.email} />
          <SelectField label="Project role" name="role" defaultValue="member" errors={errors.role}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r[0]!.toUpperCase() + r.slice(1)}
              </option>
            ))}
          </SelectField>
          <Button type="submit" disabled={add.isPending}>
            {add.isPending ? "Inviting…" : "Invite"}
          </Button>
        </form>
      ) : null}
    </Card>
  );
}
