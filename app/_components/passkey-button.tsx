"use client";

import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { usePasskeySecondFactor } from "./use-passkey";

/**
 * "Use your passkey" as a second factor: on the verification page after a password or SSO sign-in,
 * and in the step-up dialog before a sensitive action. `onVerified` runs once the hub has marked this
 * session as having proved a second factor.
 */
export function PasskeyButton({ onVerified, label = "Use your passkey" }: { onVerified: () => void; label?: string }) {
  const passkey = usePasskeySecondFactor();
  return (
    <div className="space-y-2">
      {passkey.error ? <Alert>{passkey.error}</Alert> : null}
      <Button
        type="button"
        className="w-full"
        disabled={passkey.isPending}
        onClick={async () => {
          if (await passkey.run()) onVerified();
        }}
      >
        {passkey.isPending ? "Waiting for your passkey…" : label}
      </Button>
    </div>
  );
}
