"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { Loading } from "@/app/_components/ui/loading";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";

/** The site's own details; the code is fixed, name and region can change. */
export function EditSite({ siteId }: { siteId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const site = useQuery(trpc.sites.byId.queryOptions({ siteId }));
  const update = useMutation(trpc.sites.update.mutationOptions());
  const [isSaved, setIsSaved] = useState(false);
  const errors = fieldErrorsOf(update.error);
  const hasUnshownError = update.error && !errors.name && !errors.region;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setIsSaved(false);
    try {
      await update.mutateAsync({
        siteId,
        name: String(data.get("name") ?? ""),
        region: String(data.get("region") ?? ""),
      });
    } catch {
      return; // Shown from `update.error`, beside its field when it names one.
    }
    setIsSaved(true);
    await Promise.all([
      queryClient.invalidateQueries(trpc.sites.pathFilter()),
      queryClient.invalidateQueries(trpc.siteNetwork.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  }

  if (site.isPending) return <Loading label="Loading site details…" />;
  if (site.isError) return <Alert>{messageOf(site.error)}</Alert>;
  return (
    <Card title="Site details">
      <form onSubmit={onSubmit} noValidate className="space-y-3">
        {hasUnshownError ? <Alert>{messageOf(update.error)}</Alert> : null}
        {isSaved ? <Alert tone="success">Changes saved.</Alert> : null}
        <TextField
          label="Code"
          name="code"
          defaultValue={site.data.code}
          readOnly
          hint="The code identifies the site to its worker and in the audit log, so it cannot change."
          className="w-full rounded-md border border-slate-200 bg-slate-100 px-3 py-2 font-mono text-sm text-slate-700"
        />
        <TextField
          label="Name"
          name="name"
          defaultValue={site.data.name}
          autoComplete="off"
          errors={errors.name}
          onChange={() => setIsSaved(false)}
        />
        <TextField
          label="Region"
          name="region"
          defaultValue={site.data.region}
          autoComplete="off"
          errors={errors.region}
          onChange={() => setIsSaved(false)}
        />
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </Button>
      </form>
    </Card>
  );
}
