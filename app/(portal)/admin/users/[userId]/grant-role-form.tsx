"use client";

import { useStepUp } from "@/app/_components/second-factor/step-up";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Role } from "@/db/schema";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { SelectField } from "@/app/_components/ui/select-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import type { RoleLabels } from "../user-badges";

const ROLE_HINTS: Record<Role, string> = {
  researcher: "Works on research projects and can see the network.",
  approver: "Decides on data use for one site only.",
  admin: "Manages users, sites and the audit log.",
};

export function GrantRoleForm({ userId, roleLabels }: { userId: string; roleLabels: RoleLabels }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [role, setRole] = useState<Role>("researcher");
  const [siteId, setSiteId] = useState("");
  const [grantedLabel, setGrantedLabel] = useState<string | null>(null);
  const sites = useQuery({ ...trpc.sites.list.queryOptions(), enabled: role === "approver" });
  const grant = useMutation(trpc.users.grantRole.mutationOptions());
  const { withStepUp, dialog } = useStepUp();
  const errors = fieldErrorsOf(grant.error);
  const hasUnshownError = grant.error && !errors.role && !errors.siteId;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setGrantedLabel(null);
    let result;
    try {
      result = await withStepUp(() =>
        grant.mutateAsync({ userId, role, siteId: role === "approver" && siteId ? siteId : null }),
      );
    } catch {
      return; // Shown from `grant.error`, beside its field when it names one.
    }
    const site = sites.data?.find((s) => s.id === siteId);
    const label = role === "approver" && site ? `${roleLabels[role]} for ${site.code}` : roleLabels[role];
    setGrantedLabel(
      result.status === "granted"
        ? `Granted ${label}.`
        : `Asked for ${label}. Another admin must confirm it; the site's approvers have been told.`,
    );
    setSiteId("");
    await Promise.all([
      queryClient.invalidateQueries(trpc.users.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  }

  return (
    <>
      {dialog}
      <form onSubmit={onSubmit} noValidate className="space-y-3">
        {hasUnshownError ? <Alert>{messageOf(grant.error)}</Alert> : null}
        {grantedLabel ? <Alert tone="success">{grantedLabel}</Alert> : null}
        <SelectField
          label="Role"
          name="role"
          value={role}
          hint={ROLE_HINTS[role]}
          errors={errors.role}
          onChange={(e) => {
            grant.reset();
            setRole(e.target.value as Role);
          }}
        >
          {(Object.keys(roleLabels) as Role[]).map((r) => (
            <option key={r} value={r}>
              {roleLabels[r]}
            </option>
          ))}
        </SelectField>
        {role === "approver" ? (
          <SelectField
            label="Site"
            name="siteId"
            value={siteId}
            errors={errors.siteId ?? (sites.isError ? [messageOf(sites.error)] : undefined)}
            onChange={(e) => {
              grant.reset();
              setSiteId(e.target.value);
            }}
          >
            <option value="">{sites.isPending ? "Loading sites…" : "Choose a site"}</option>
            {sites.data?.map((s) => (
              <option key={s.id} value={s.id}>
                {s.code} · {s.name}
              </option>
            ))}
          </SelectField>
        ) : null}
        <Button type="submit" disabled={grant.isPending}>
          {grant.isPending ? "Granting…" : "Grant role"}
        </Button>
      </form>
    </>
  );
}
