"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { usePasskeySignIn } from "@/app/_components/use-passkey";
import { safeCallback } from "./safe-callback";

/** Usernameless sign-in: the browser offers the passkeys it holds for this portal. */
export function PasskeySignIn() {
  const router = useRouter();
  const params = useSearchParams();
  const passkey = usePasskeySignIn();
  return (
    <div className="mt-4 space-y-2 rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
      {passkey.error ? <Alert>{passkey.error}</Alert> : null}
      <Button
        type="button"
        variant="secondary"
        className="w-full"
        disabled={passkey.isPending}
        onClick={async () => {
          if (!(await passkey.run())) return;
          router.replace(safeCallback(params.get("callbackUrl")));
          router.refresh();
        }}
      >
        {passkey.isPending ? "Waiting for your passkey…" : "Use a passkey"}
      </Button>
      <p className="text-center text-xs text-slate-600">No password needed on a device that holds your passkey.</p>
    </div>
  );
}
