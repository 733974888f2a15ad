"use client";

import { signIn } from "next-auth/react";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { TextField } from "@/app/_components/ui/text-field";
import { safeCallback } from "./safe-callback";

type Props = {
  /** The identity provider's name ("NHSmail") when single sign-on is configured. */
  ssoName: string | null;
  isPasswordEnabled: boolean;
  /** Why the last attempt was refused, from the page's address. */
  initialError: string | null;
};

export function SignInForm({ ssoName, isPasswordEnabled, initialError }: Props) {
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(initialError);
  const [isPending, setPending] = useState(false);
  const callbackUrl = safeCallback(params.get("callbackUrl"));

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (!result || result.error) {
      setError(result?.error && result.error !== "CredentialsSignin" ? result.error : "Sign-in failed. Try again.");
      return;
    }
    router.replace(callbackUrl);
    router.refresh();
  }

  async function onSso() {
    setPending(true);
    setError(null);
    // The browser leaves for the provider; next-auth brings it back to callbackUrl, checked like the form's.
    await signIn("oidc", { callbackUrl });
  }

  return (
    <div className="space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      {error ? <Alert>{error}</Alert> : null}
      {ssoName ? (
        <Button type="button" className="w-full" disabled={isPending} onClick={() => void onSso()}>
          Sign in with {ssoName}
        </Button>
      ) : null}
      {ssoName && isPasswordEnabled ? <p className="text-center text-sm text-slate-600">or</p> : null}
      {isPasswordEnabled ? (
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <TextField label="Email" name="email" type="email" autoComplete="username" required />
          <TextField label="Password" name="password" type="password" autoComplete="current-password" required />
          <Button type="submit" variant={ssoName ? "secondary" : undefined} className="w-full" disabled={isPending}>
            {isPending ? "Signing in…" : "Sign in"}
          </Button>
        </form>
      ) : null}
    </div>
  );
}
