"use client";

import { useId, useState, type ReactNode } from "react";
import { Button } from "@/app/_components/ui/button";

/**
 * Shows a freshly issued secret (a password, a site token) exactly once. The caller keeps the
 * secret only in its own component state and drops it when this panel is dismissed, so a reload
 * or a dismissal loses it for good.
 */
export function OneTimeSecretPanel({
  title,
  noun,
  secret,
  testId,
  children,
  onDismiss,
}: {
  title: string;
  /** What the secret is, in lower case: "password", "token". */
  noun: string;
  secret: string;
  testId: string;
  /** Where the secret goes and how to hand it over. */
  children: ReactNode;
  onDismiss: () => void;
}) {
  const titleId = useId();
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopyState("copied");
    } catch {
      setCopyState("failed");
    }
  }

  return (
    <section
      aria-labelledby={titleId}
      className="rounded-lg border-2 border-amber-400 bg-amber-50 p-4 shadow-sm sm:p-5"
    >
      <h2 id={titleId} className="text-base font-semibold text-amber-950">
        {title}
      </h2>
      <p className="mt-1 text-sm font-semibold text-amber-950">This {noun} will not be shown again.</p>
      <div className="mt-1 text-sm text-amber-950">{children}</div>
      {/* Wraps the button under the secret when the panel is narrow, beside it when there is room. */}
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <code
          data-testid={testId}
          className="block min-w-0 flex-[1_1_auto] rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-sm break-all text-slate-900 select-all"
        >
          {secret}
        </code>
        <Button type="button" variant="secondary" onClick={copy} className="shrink-0">
          {copyState === "copied" ? "Copied" : `Copy ${noun}`}
        </Button>
      </div>
      <p role="status" className="mt-1 text-sm text-amber-950">
        {copyState === "failed" ? `Could not copy automatically: select the ${noun} and copy it by hand.` : null}
      </p>
      <Button type="button" className="mt-2" onClick={onDismiss}>
        I have saved it, dismiss
      </Button>
    </section>
  );
}
