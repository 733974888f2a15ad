"use client";

import { startAuthentication, startRegistration, WebAuthnError } from "@simplewebauthn/browser";
import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/** What went wrong in a passkey ceremony, as a sentence the person can act on. */
function passkeyErrorMessage(error: unknown): string {
  const name = error instanceof WebAuthnError ? (error.cause as Error | undefined)?.name : (error as Error)?.name;
  if (error instanceof WebAuthnError && error.code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED")
    return "This passkey is already on your account.";
  if (name === "NotAllowedError" || name === "AbortError")
    return "The passkey request was cancelled or timed out. Try again, and choose your passkey when your browser asks.";
  if (error instanceof WebAuthnError)
    return "Your browser could not use a passkey here. Try another browser or device.";
  return messageOf(error);
}

/**
 * Runs one passkey ceremony at a time: `run(...)` resolves true when it succeeded; `error` holds the
 * message to show otherwise.
 */
function useCeremony<A extends unknown[]>(ceremony: (...args: A) => Promise<void>) {
  const [error, setError] = useState<string | null>(null);
  const [isPending, setPending] = useState(false);
  async function run(...args: A): Promise<boolean> {
    setPending(true);
    setError(null);
    try {
      await ceremony(...args);
      return true;
    } catch (caught) {
      setError(passkeyErrorMessage(caught));
      return false;
    } finally {
      setPending(false);
    }
  }
  return { run, isPending, error };
}

/** Proves this session's second factor with a passkey: after a password or SSO sign-in, or for a step-up. */
export function usePasskeySecondFactor() {
  const trpc = useTRPC();
  const options = useMutation(trpc.passkeys.secondFactorOptions.mutationOptions());
  const verify = useMutation(trpc.passkeys.verifySecondFactor.mutationOptions());
  return useCeremony(async () => {
    const response = await startAuthentication({ optionsJSON: await options.mutateAsync() });
    await verify.mutateAsync({ response });
  });
}

/** Signs in with whichever passkey for this site the person picks (no email needed). */
export function usePasskeySignIn() {
  const trpc = useTRPC();
  const options = useMutation(trpc.passkeys.signInOptions.mutationOptions());
  return useCeremony(async () => {
    const response = await startAuthentication({ optionsJSON: await options.mutateAsync() });
    const result = await signIn("passkey", { response: JSON.stringify(response), redirect: false });
    if (!result || result.error)
      throw new Error(
        result?.error && result.error !== "CredentialsSignin" ? result.error : "Sign-in failed. Try again.",
      );
  });
}

/** Creates a passkey on this device and adds it to the account under `label`. */
export function usePasskeyRegistration() {
  const trpc = useTRPC();
  const options = useMutation(trpc.passkeys.registrationOptions.mutationOptions());
  const register = useMutation(trpc.passkeys.register.mutationOptions());
  return useCeremony(async (label: string) => {
    const response = await startRegistration({ optionsJSON: await options.mutateAsync() });
    await register.mutateAsync({ label, response });
  });
}
