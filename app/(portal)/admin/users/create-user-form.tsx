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
import { TemporaryPasswordPanel } from "./temporary-password-panel";

type IssuedPassword = { userId: string; email: string; password: string };

export function CreateUserForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // gcTime 0: the result (which holds the password) leaves the mutation cache as soon as we reset.
  const create = useMutation(trpc.users.create.mutationOptions({ gcTime: 0 }));
  const [issued, setIssued] = useState<IssuedPassword | null>(null);
  const errors = fieldErrorsOf(create.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    setIssued(null);
    try {
      const result = await create.mutateAsync({
        email: String(data.get("email") ?? ""),
        name: String(data.get("name") ?? ""),
      });
      setIssued({ userId: result.user.id, email: result.user.email, password: result.temporaryPassword });
    } catch {
      return; // Shown from `create.error`, beside its field when it names one.
    }
    create.reset();
    form.reset();
    await queryClient.invalidateQueries(trpc.users.pathFilter());
  }

  return (
    <div className="space-y-4">
      {issued ? (
        <div className="space-y-2">
          <TemporaryPasswordPanel
            title="User created"
            email={issued.email}
            password={issued.password}
            onDismiss={() => setIssued(null)}
          />
          <p className="text-sm">
            <Link href={`/admin/users/${issued.userId}`} className="text-nhs-blue underline">
              Grant {issued.email} a role
            </Link>
          </p>
        </div>
      ) : null}
      <Card title="New user">
        <form onSubmit={onSubmit} noValidate className="space-y-3">
          {create.error && Object.keys(errors).length === 0 ? <Alert>{messageOf(create.error)}</Alert> : null}
          <div className="grid gap-3 md:grid-cols-[1fr_1fr_auto] md:items-start">
            <TextField label="Email" name="email" type="email" autoComplete="off" errors={errors.email} />
            <TextField label="Name" name="name" autoComplete="off" errors={errors.name} />
            <Button type="submit" disabled={create.isPending} className="md:mt-6">
              {create.isPending ? "Creating…" : "Create user"}
            </Button>
          </div>
          <p className="text-xs text-slate-500">
            The account starts with no roles and a temporary password that must be changed at first sign-in.
          </p>
        </form>
      </Card>
    </div>
  );
}
