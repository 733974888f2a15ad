"use client";

import Link from "next/link";
import { useEffect } from "react";
import { StatusMessage } from "./_components/status-message";
import { Button } from "./_components/ui/button";

/** A page outside the portal shell (sign-in, account) failed to render. */
export default function RootError({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => console.error(error), [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <StatusMessage
      as="main"
      status="Error"
      title="Something went wrong"
      actions={
        <>
          <Button onClick={() => retry()}>Try again</Button>
          <Button asChild variant="secondary">
            <Link href="/">Back to home</Link>
          </Button>
        </>
      }
    >
      <p>The page could not be shown. Try again; if it keeps happening, tell the platform admin.</p>
      {digest ? <p className="mt-2 text-xs text-slate-500">Reference: {digest}</p> : null}
    </StatusMessage>
  );
}
