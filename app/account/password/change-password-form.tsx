"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { type FormEvent } from "react";
import { fieldErrorsOf, messageOf } from "../../_trpc/errors";
import { useTRPC } from "../../_trpc/client";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { TextField } from "@/app/_components/ui/text-field";

export function ChangePasswordForm({ email }: { email: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const change = useMutation(trpc.account.changePassword.mutationOptions());
  const errors = fieldErrorsOf(change.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const input = {
      currentPassword: String(form.get("currentPassword") ?? ""),
      newPassword: String(form.get("newPassword") ?? ""),
      confirmPassword: String(form.get("confirmPassword") ?? ""),
    };
    try {
      await change.mutateAsync(input);
    } catch {
      return; // The error is on `change.error` and shown beside its field.
    }
    // Changing the password ended every existing session, this one included: sign in afresh with the new one.
    const result = await signIn("credentials", { email, password: input.newPassword, redirect: false });
    router.replace(result?.ok ? "/" : "/signin");
    router.refresh();
  }

  return (
    <form
      onSubmit={onSubmit}
      className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm"
      noValidate
    >
      {change.error && Object.keys(errors).length === 0 ? <Alert>{messageOf(change.error)}</Alert> : null}
      <TextField
        label="Current password"
        name="currentPassword"
        type="password"
        autoComplete="current-password"
        errors={errors.currentPassword}
      />
      <TextField
        label="New password"
        name="newPassword"
        type="password"
        autoComplete="new-password"
        hint="At least 12 characters."
        errors={errors.newPassword}
      />
      <TextField
        label="Repeat new password"
        name="confirmPassword"
        type="password"
        autoComplete="new-password"
        errors={errors.confirmPassword}
      />
      <Button type="submit" className="w-full" disabled={change.isPending}>
        {change.isPending ? "Saving…" : "Save password"}
      </Button>
    </form>
  );
}
