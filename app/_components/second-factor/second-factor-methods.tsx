"use client";

import { useMutation } from "@tanstack/react-query";
import { useState, type ComponentType, type FormEvent } from "react";
import { PasskeyButton } from "@/app/_components/passkey-button";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";

export type SecondFactorMethodProps = { onVerified: () => void };

/**
 * Further ways to prove the second factor, shown above the code form: each proves the factor for
 * this session and then calls `onVerified`. A passkey ("Use your passkey").
 */
const OTHER_METHODS: ComponentType<SecondFactorMethodProps>[] = [PasskeyButton];

type CodeMethod = "totp" | "recovery";

/**
 * Proves this session's second factor: the sign-in second step and the step-up dialog both use it.
 * A code from the authenticator app by default; a recovery code when the phone is not at hand.
 */
export function SecondFactorMethods({ onVerified }: SecondFactorMethodProps) {
  const trpc = useTRPC();
  const [method, setMethod] = useState<CodeMethod>("totp");
  const [notice, setNotice] = useState<string | null>(null);
  const verify = useMutation(trpc.factors.verify.mutationOptions());
  const errors = fieldErrorsOf(verify.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    // Inside a dialog (a portal), React would bubble the submit to a form the dialog was opened from.
    event.stopPropagation();
    const code = String(new FormData(event.currentTarget).get("code") ?? "");
    try {
      const result = await verify.mutateAsync({ method, code });
      if (result.recoveryCodesLeft !== null && result.recoveryCodesLeft <= 3)
        setNotice(`You have ${result.recoveryCodesLeft} recovery codes left: make new ones in Account security.`);
    } catch {
      return; // Shown under the field, or above the form.
    }
    onVerified();
  }

  function switchTo(next: CodeMethod) {
    verify.reset();
    setMethod(next);
  }

  return (
    <div className="space-y-4">
      {OTHER_METHODS.map((Method, index) => (
        <Method key={index} onVerified={onVerified} />
      ))}
      {notice ? <p role="status">{notice}</p> : null}
      <form onSubmit={onSubmit} noValidate className="space-y-3">
        {verify.error && !errors.code ? <Alert>{messageOf(verify.error)}</Alert> : null}
        {method === "totp" ? (
          <TextField
            key="totp"
            label="Code from your authenticator app"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]*"
            maxLength={7}
            autoFocus
            errors={errors.code}
          />
        ) : (
          <TextField
            key="recovery"
            label="Recovery code"
            name="code"
            autoComplete="off"
            hint="One of the codes you saved when you set up your second factor. Each works once."
            autoFocus
            errors={errors.code}
          />
        )}
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={verify.isPending}>
            {verify.isPending ? "Checking…" : "Confirm"}
          </Button>
          <Button type="button" variant="secondary" onClick={() => switchTo(method === "totp" ? "recovery" : "totp")}>
            {method === "totp" ? "Use a recovery code" : "Use your authenticator app"}
          </Button>
        </div>
      </form>
    </div>
  );
}
