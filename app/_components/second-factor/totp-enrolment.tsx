"use client";

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import type { RouterOutput } from "@/app/_trpc/types";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { RecoveryCodesPanel } from "./recovery-codes-panel";

type Started = RouterOutput["factors"]["startTotp"];

/**
 * Sets up an authenticator app: name it, scan the QR code (or type the setup key), confirm with
 * the code it shows. A first factor comes with recovery codes, shown once before `onDone`.
 */
export function TotpEnrolment({
  onDone,
  withStepUp = (call) => call(),
}: {
  onDone: () => void;
  withStepUp?: <T>(call: () => Promise<T>) => Promise<T>;
}) {
  const trpc = useTRPC();
  const start = useMutation(trpc.factors.startTotp.mutationOptions({ gcTime: 0 }));
  const confirm = useMutation(trpc.factors.confirmTotp.mutationOptions({ gcTime: 0 }));
  const [started, setStarted] = useState<Started | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const startErrors = fieldErrorsOf(start.error);
  const confirmErrors = fieldErrorsOf(confirm.error);

  async function onStart(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const label = String(new FormData(event.currentTarget).get("label") ?? "");
    try {
      setStarted(await withStepUp(() => start.mutateAsync({ label })));
    } catch {
      return; // Shown from `start.error`.
    }
  }

  async function onConfirm(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!started) return;
    const code = String(new FormData(event.currentTarget).get("code") ?? "");
    try {
      const result = await withStepUp(() => confirm.mutateAsync({ factorId: started.factorId, code }));
      if (result.recoveryCodes) setRecoveryCodes(result.recoveryCodes);
      else onDone();
    } catch {
      return; // Shown from `confirm.error`.
    }
  }

  if (recoveryCodes) return <RecoveryCodesPanel codes={recoveryCodes} onDone={onDone} />;

  if (!started)
    return (
      <form onSubmit={onStart} noValidate className="space-y-3">
        {start.error && !startErrors.label ? <Alert>{messageOf(start.error)}</Alert> : null}
        <TextField
          label="Name for this authenticator"
          name="label"
          defaultValue="Authenticator app"
          maxLength={60}
          hint="So you can tell your devices apart, like “Work phone”."
          errors={startErrors.label}
        />
        <Button type="submit" disabled={start.isPending}>
          {start.isPending ? "Preparing…" : "Set up an authenticator app"}
        </Button>
      </form>
    );

  return (
    <form onSubmit={onConfirm} noValidate className="space-y-4">
      <ol className="list-decimal space-y-2 pl-5 text-sm text-slate-700">
        <li>Open an authenticator app on your phone (Microsoft Authenticator, Google Authenticator, or similar).</li>
        <li>Scan this QR code, or enter the setup key by hand.</li>
        <li>Type the 6-digit code the app shows.</li>
      </ol>
      {/* Drawn by the hub from the secret; the data URL keeps it on this page, nothing is fetched. */}
      <img
        src={`data:image/svg+xml;utf8,${encodeURIComponent(started.qrSvg)}`}
        alt="QR code for your authenticator app"
        width={192}
        height={192}
        className="rounded border border-slate-200 bg-white"
      />
      <div className="text-sm">
        <p className="text-slate-600" id="setup-key-label">
          Setup key
        </p>
        <code
          aria-labelledby="setup-key-label"
          data-testid="totp-setup-key"
          className="mt-1 block rounded-md border border-slate-300 bg-slate-50 px-3 py-2 font-mono break-all select-all"
        >
          {started.secret.replace(/(.{4})/g, "$1 ").trim()}
        </code>
      </div>
      {confirm.error && !confirmErrors.code ? <Alert>{messageOf(confirm.error)}</Alert> : null}
      <TextField
        label="Code from the app"
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        maxLength={7}
        errors={confirmErrors.code}
      />
      <Button type="submit" disabled={confirm.isPending}>
        {confirm.isPending ? "Checking…" : "Confirm and turn on"}
      </Button>
    </form>
  );
}
