"use client";

import { useId } from "react";
import { Button } from "@/app/_components/ui/button";

/** Ten recovery codes, shown once: the person writes them down or stores them before going on. */
export function RecoveryCodesPanel({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const titleId = useId();
  return (
    <section aria-labelledby={titleId} className="rounded-lg border-2 border-amber-400 bg-amber-50 p-4 sm:p-5">
      <h2 id={titleId} className="text-base font-semibold text-amber-950">
        Your recovery codes
      </h2>
      <p className="mt-1 text-sm text-amber-950">
        These will not be shown again. Keep them somewhere safe, away from your phone: each one signs you in once if you
        lose your authenticator.
      </p>
      <ul aria-label="Recovery codes" className="mt-3 grid grid-cols-2 gap-2 font-mono text-sm">
        {codes.map((code) => (
          <li key={code} className="rounded border border-amber-300 bg-white px-2 py-1 text-slate-900 select-all">
            {code}
          </li>
        ))}
      </ul>
      <Button type="button" className="mt-3" onClick={onDone}>
        I have saved my recovery codes
      </Button>
    </section>
  );
}
