"use client";

import { useState } from "react";
import { Button } from "@/app/_components/ui";

/**
 * Shows a freshly issued temporary password exactly once. The caller keeps the password only in
 * its own component state and drops it when this panel is dismissed.
 */
export function TemporaryPasswordPanel({ title, email, password, onDismiss }: { title: string; email: string; password: string; onDismiss: () => void }) {
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");

  async function copy() {
    try {
      await navigator.clipboard.writeText(password);
      setCopyState("copied");
    } catch {
      setCopyState("failed");
    }
  }

  return (
    <section aria-labelledby="temporary-password-title" className="rounded-lg border-2 border-amber-400 bg-amber-50 p-4 shadow-sm sm:p-5">
      <h2 id="temporary-password-title" className="text-base font-semibold text-amber-950">
        {title}
      </h2>
      <p className="mt-1 text-sm font-semibold text-amber-950">This password will not be shown again.</p>
      <p className="mt-1 text-sm text-amber-950">
        Temporary password for <span className="font-medium break-all">{email}</span>. Give it to them through a secure channel; they must choose
        their own password when they first sign in.
      </p>
      <div className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-center">
        <code data-testid="temporary-password" className="block rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-base break-all text-slate-900 select-all">
          {password}
        </code>
        <Button type="button" variant="secondary" onClick={copy}>
          {copyState === "copied" ? "Copied" : "Copy password"}
        </Button>
      </div>
      <p role="status" className="mt-1 text-sm text-amber-950">
        {copyState === "failed" ? "Could not copy automatically: select the password and copy it by hand." : null}
      </p>
      <Button type="button" className="mt-2" onClick={onDismiss}>
        I have saved it, dismiss
      </Button>
    </section>
  );
}
