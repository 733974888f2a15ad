"use client";

import { useQuery } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/**
 * The approver's passkeys as signing keys: each with the fingerprint to read out to the Trust's IT
 * and the entry they paste into the site worker's policy, so the site runs only what this person signed.
 */
export function SigningKeys() {
  const trpc = useTRPC();
  const keys = useQuery(trpc.approvals.myKeys.queryOptions());
  const titleId = useId();

  let body;
  if (keys.isPending) body = <Loading label="Loading your signing keys…" />;
  else if (keys.isError) body = <Alert>{messageOf(keys.error)}</Alert>;
  else if (keys.data.keys.length === 0)
    body = (
      <EmptyState title="No passkey yet">
        Register a passkey on your account page. Your Trust&apos;s IT then enrols its public key in your site
        worker&apos;s policy, and your site runs only projects you approved with it.
      </EmptyState>
    );
  else
    body = (
      <ul className="space-y-4">
        {keys.data.keys.map((key) => (
          <li key={key.id} className="space-y-2">
            <p className="text-sm text-slate-700">
              <span className="font-medium text-slate-900">{key.label}</span> ({key.algorithm}), fingerprint{" "}
              <code data-testid="key-fingerprint" className="font-mono text-slate-900">
                {key.fingerprint}
              </code>
            </p>
            <PolicyEntry
              entry={JSON.stringify(
                { name: keys.data.name, publicKey: key.publicKey, fingerprint: key.fingerprint },
                null,
                2,
              )}
            />
          </li>
        ))}
      </ul>
    );

  return (
    <section aria-labelledby={titleId} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5">
      <h2 id={titleId} className="text-base font-semibold text-slate-900">
        Your signing keys
      </h2>
      <p className="mt-1 mb-3 text-sm text-slate-600">
        You sign each decision with your passkey. Give your Trust&apos;s IT the entry below for the{" "}
        <code>approvers</code> list of the site policy, and read the fingerprint to them to compare: the site worker
        prints the fingerprints it trusts when it starts.
      </p>
      {body}
    </section>
  );
}

function PolicyEntry({ entry }: { entry: string }) {
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");
  async function copy() {
    try {
      await navigator.clipboard.writeText(entry);
      setCopyState("copied");
    } catch {
      setCopyState("failed");
    }
  }
  return (
    <div>
      <pre className="max-w-full overflow-x-auto rounded-md border border-slate-200 bg-slate-50 p-3 font-mono text-xs break-all whitespace-pre-wrap text-slate-900">
        {entry}
      </pre>
      <Button type="button" variant="secondary" className="mt-2" onClick={copy}>
        {copyState === "copied" ? "Copied" : "Copy policy entry"}
      </Button>
      <p role="status" className="mt-1 text-sm text-slate-600">
        {copyState === "failed" ? "Could not copy automatically: select the entry and copy it by hand." : null}
      </p>
    </div>
  );
}
