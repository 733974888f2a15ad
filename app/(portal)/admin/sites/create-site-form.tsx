"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";

export function CreateSiteForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(trpc.sites.create.mutationOptions());
  const [created, setCreated] = useState<{ id: string; code: string; name: string } | null>(null);
  const errors = fieldErrorsOf(create.error);
  const hasUnshownError = create.error && !errors.code && !errors.name && !errors.region;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    setCreated(null);
    try {
      const site = await create.mutateAsync({
        code: String(data.get("code") ?? ""),
        name: String(data.get("name") ?? ""),
        region: String(data.get("region") ?? ""),
      });
      setCreated(site);
    } catch {
      return; // Shown from `create.error`, beside its field when it names one.
    }
    form.reset();
    await Promise.all([
      queryClient.invalidateQueries(trpc.sites.pathFilter()),
      queryClient.invalidateQueries(trpc.siteNetwork.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  }

  return (
    <Card title="New site">
      <form onSubmit={onSubmit} noValidate className="space-y-3">
        {hasUnshownError ? <Alert>{messageOf(create.error)}</Alert> : null}
        {created ? (
          <Alert tone="success">
            Registered {created.name} ({created.code}).{" "}
            <Link href={`/admin/sites/${created.id}`} className="underline">
              View site
            </Link>
          </Alert>
        ) : null}
        <div className="grid gap-3 md:grid-cols-[10rem_1fr_1fr_auto] md:items-start">
          <TextField
            label="Code"
            name="code"
            autoComplete="off"
            hint="e.g. KCH"
            style={{ textTransform: "uppercase" }}
            errors={errors.code}
          />
          <TextField label="Name" name="name" autoComplete="off" hint="The Trust's full name" errors={errors.name} />
          <TextField label="Region" name="region" autoComplete="off" hint="e.g. London" errors={errors.region} />
          <Button type="submit" disabled={create.isPending} className="md:mt-11">
            {create.isPending ? "Creating…" : "Create site"}
          </Button>
        </div>
      </form>
    </Card>
  );
}
