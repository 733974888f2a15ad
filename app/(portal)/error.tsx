"use client";

import Link from "next/link";
import { useEffect } from "react";
import { StatusMessage } from "@/app/_components/status-message";
import { Button } from "@/app/_components/ui/button";

/** A portal page failed to render; the shell and navigation stay, so the viewer can go elsewhere. */
export default function PortalError({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => console.error(error), [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <StatusMessage
      status="Error"
      title="This page could not be shown"
      actions={
        <>
          <Button onClick={() => retry()}>Try again</Button>
          <Button asChild variant="secondary">
            <Link href="/">Back to home</Link>
          </Button>
        </>
      }
    >
      <p>Something went wrong on our side. Try again; if it keeps happening, tell the platform admin.</p>
      {digest ? <p className="mt-2 text-xs text-slate-500">Reference: {digest}</p> : null}
    </StatusMessage>
  );
}
