"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

const frame = "rounded-lg border-l-4 px-4 py-3 text-sm";

export function ChainStatus() {
  const trpc = useTRPC();
  const verify = useQuery(trpc.audit.verify.queryOptions());

  if (verify.isPending) {
    return (
      <div
        data-testid="audit-chain-status"
        role="status"
        className={`${frame} border-slate-300 bg-white text-slate-600`}
      >
        Checking the audit chain…
      </div>
    );
  }
  if (verify.isError) {
    return (
      <div
        data-testid="audit-chain-status"
        role="alert"
        className={`${frame} border-amber-500 bg-amber-50 text-amber-900`}
      >
        Could not check the audit chain: {messageOf(verify.error)}
      </div>
    );
  }
  if (verify.data.ok) {
    return (
      <div
        data-testid="audit-chain-status"
        role="status"
        className={`${frame} border-green-600 bg-green-50 text-green-900`}
      >
        <p className="font-semibold">Audit chain verified: {verify.data.checked} events intact</p>
        <p className="mt-0.5 text-green-800">Every event&apos;s hash matches its content and the event before it.</p>
      </div>
    );
  }
  return (
    <div data-testid="audit-chain-status" role="alert" className={`${frame} border-red-600 bg-red-50 text-red-900`}>
      <p className="font-semibold">Audit chain broken at event #{verify.data.brokenSeq}</p>
      <p className="mt-0.5 text-red-800">
        {verify.data.checked} events before it are intact. Event #{verify.data.brokenSeq} or its link to the previous
        event no longer matches: treat the log from there on as tampered and investigate.
      </p>
    </div>
  );
}
