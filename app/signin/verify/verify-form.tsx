"use client";

import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";
import { SecondFactorMethods } from "@/app/_components/second-factor/second-factor-methods";
import { Button } from "@/app/_components/ui/button";

export function VerifyForm() {
  const router = useRouter();
  return (
    <div className="space-y-4">
      <SecondFactorMethods
        onVerified={() => {
          router.replace("/");
          router.refresh();
        }}
      />
      <div className="space-y-2 border-t border-slate-200 pt-3 text-sm text-slate-600">
        <p>Lost your phone and your recovery codes? Ask a platform admin to reset your second factor.</p>
        <Button type="button" variant="secondary" onClick={() => void signOut({ callbackUrl: "/signin" })}>
          Sign out
        </Button>
      </div>
    </div>
  );
}
