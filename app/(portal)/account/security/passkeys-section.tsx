"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { usePasskeyRegistration } from "@/app/_components/use-passkey";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { TextField } from "@/app/_components/ui/text-field";
import { fieldErrorsFromIssues } from "@/protocol/field-errors";
import { ZRegisterPasskeyInput } from "@/server/passkeys/passkeys.schema";
import { PasskeyItem } from "./passkey-item";

const ZLabel = ZRegisterPasskeyInput.pick({ label: true });

/** The account page's passkeys: what each one is, when it was used, its key's fingerprint; add, rename, remove. */
export function PasskeysSection() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingId = useId();
  const list = useQuery(trpc.passkeys.list.queryOptions());
  const registration = usePasskeyRegistration();
  const [labelErrors, setLabelErrors] = useState<string[] | undefined>();
  const [added, setAdded] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.passkeys.list.queryKey() });

  async function onAdd(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const parsed = ZLabel.safeParse({ label: String(new FormData(form).get("label") ?? "") });
    setAdded(null);
    setLabelErrors(parsed.success ? undefined : fieldErrorsFromIssues(parsed.error.issues).label);
    if (!parsed.success) return;
    if (!(await registration.run(parsed.data.label))) return;
    form.reset();
    setAdded(parsed.data.label);
    await refresh();
  }

  return (
    <section aria-labelledby={headingId} className="space-y-4">
      <div>
        <h2 id={headingId} className="text-lg font-semibold">
          Passkeys
        </h2>
        <p className="text-sm text-slate-600">
          Sign in with your fingerprint, face, device PIN or security key instead of a password. A passkey also counts
          as your second factor.
        </p>
      </div>
      {list.error ? <Alert>{messageOf(list.error)}</Alert> : null}
      {list.data?.length === 0 ? (
        <EmptyState title="No passkeys yet">Add one below to sign in without a password.</EmptyState>
      ) : (
        <ul className="space-y-3" aria-label="Your passkeys">
          {list.data?.map((passkey) => (
            <PasskeyItem key={passkey.id} passkey={passkey} onChanged={refresh} />
          ))}
        </ul>
      )}
      <form onSubmit={onAdd} noValidate className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
        {registration.error ? <Alert>{registration.error}</Alert> : null}
        {added ? <Alert tone="success">Passkey “{added}” added.</Alert> : null}
        <TextField
          label="Passkey name"
          name="label"
          placeholder="Work laptop"
          hint="So you can tell your passkeys apart."
          errors={labelErrors}
          maxLength={60}
        />
        <Button type="submit" disabled={registration.isPending}>
          {registration.isPending ? "Waiting for your device…" : "Add a passkey"}
        </Button>
      </form>
    </section>
  );
}
