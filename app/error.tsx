"use client";

import { PageError } from "./_components/page-error";

/** A page outside the portal shell (sign-in, account) failed to render. */
export default function RootError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <PageError error={error} retry={retry} title="Something went wrong" as="main">
      <p>The page could not be shown. Try again; if it keeps happening, tell the platform admin.</p>
    </PageError>
  );
}
