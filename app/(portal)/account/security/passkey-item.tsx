"use client";

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { RelativeTime } from "@/app/_components/relative-time";
import { useStepUp } from "@/app/_components/second-factor/step-up";
import { formatDateTime } from "@/app/_components/time-format";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { ConfirmDialog } from "@/app/_components/ui/dialog";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import type { RouterOutput } from "@/app/_trpc/types";

type Passkey = RouterOutput["passkeys"]["list"][number];

/** One passkey: its name, dates and fingerprint (copyable, to compare with what a signature names). */
export function PasskeyItem({ passkey, onChanged }: { passkey: Passkey; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const rename = useMutation(trpc.passkeys.rename.mutationOptions());
  // A passkey goes like any second factor: behind a step-up, and never the last one a role needs.
  const remove = useMutation(trpc.factors.remove.mutationOptions());
  const { withStepUp, dialog } = useStepUp();
  const [isRenaming, setRenaming] = useState(false);
  const [isConfirming, setConfirming] = useState(false);
  const [copied, setCopied] = useState<"idle" | "copied" | "failed">("idle");

  async function onRename(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const label = String(new FormData(event.currentTarget).get("label") ?? "");
    try {
      await rename.mutateAsync({ passkeyId: passkey.id, label });
    } catch {
      return; // shown beside the field
    }
    setRenaming(false);
    await onChanged();
  }

  async function onRemove() {
    setConfirming(false);
    try {
      await withStepUp(() => remove.mutateAsync({ factorId: passkey.id }));
    } catch {
      return; // shown on the item
    }
    await onChanged();
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(passkey.fingerprint);
      setCopied("copied");
    } catch {
      setCopied("failed");
    }
  }

  const renameErrors = fieldErrorsOf(rename.error);
  return (
    <li className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 shadow-sm" aria-label={passkey.label}>
      {dialog}
      {remove.error ? <Alert>{messageOf(remove.error)}</Alert> : null}
      {isRenaming ? (
        <form onSubmit={onRename} noValidate className="flex flex-wrap items-end gap-2">
          <div className="min-w-48 flex-1">
            <TextField
              label="New name"
              name="label"
              defaultValue={passkey.label}
              maxLength={60}
              errors={
                renameErrors.label ?? (rename.error && !renameErrors.label ? [messageOf(rename.error)] : undefined)
              }
            />
          </div>
          <Button type="submit" disabled={rename.isPending}>
            Save
          </Button>
          <Button type="button" variant="secondary" onClick={() => setRenaming(false)}>
            Cancel
          </Button>
        </form>
      ) : (
        <div className="flex flex-wrap items-center justify-between gap-2">
          <p className="font-medium text-slate-900">{passkey.label}</p>
          <div className="flex gap-2">
            <Button type="button" variant="secondary" onClick={() => setRenaming(true)}>
              Rename
            </Button>
            <ConfirmDialog
              trigger={
                <Button type="button" variant="secondary">
                  Remove
                </Button>
              }
              open={isConfirming}
              onOpenChange={setConfirming}
              title={`Remove “${passkey.label}”?`}
              description="You will no longer be able to sign in or confirm actions with this passkey."
              confirmLabel="Remove passkey"
              pendingLabel="Removing…"
              isPending={remove.isPending}
              onConfirm={() => void onRemove()}
            />
          </div>
        </div>
      )}
      <dl className="grid gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
        <dt className="text-slate-600">Added</dt>
        <dd>{formatDateTime(passkey.createdAt)}</dd>
        <dt className="text-slate-600">Last used</dt>
        <dd>
          <RelativeTime date={passkey.lastUsedAt} />
        </dd>
        <dt className="text-slate-600">Key fingerprint (SHA-256)</dt>
        <dd className="flex flex-wrap items-center gap-2">
          <code className="font-mono text-xs break-all" data-testid="passkey-fingerprint">
            {passkey.fingerprint}
          </code>
          <Button type="button" variant="secondary" className="px-2 py-1 text-xs" onClick={() => void copy()}>
            {copied === "copied" ? "Copied" : copied === "failed" ? "Copy failed: select it" : "Copy fingerprint"}
          </Button>
        </dd>
      </dl>
    </li>
  );
}
