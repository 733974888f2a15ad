"use client";

import Link from "next/link";
import { useEffect, type ReactNode } from "react";
import { StatusMessage } from "./status-message";
import { Button } from "./ui/button";

/** What a route's error boundary shows: why, a retry, a way home, and the reference the server logged. */
export function PageError({
  error,
  retry,
  title,
  children,
  as,
}: {
  error: unknown;
  retry: () => void;
  title: string;
  children: ReactNode;
  as?: "main";
}) {
  useEffect(() => console.error(error), [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <StatusMessage
      as={as}
      status="Error"
      title={title}
      actions={
        <>
          <Button onClick={() => retry()}>Try again</Button>
          <Button asChild variant="secondary">
            <Link href="/">Back to home</Link>
          </Button>
        </>
      }
    >
      {children}
      {digest ? <p className="mt-2 text-xs text-slate-500">Reference: {digest}</p> : null}
    </StatusMessage>
  );
}
