"use client";

import { PageError } from "@/app/_components/page-error";

/** A portal page failed to render; the shell and navigation stay, so the viewer can go elsewhere. */
export default function PortalError({ error, retry }: { error: unknown; retry: () => void }) {
  return (
    <PageError error={error} retry={retry} title="This page could not be shown">
      <p>Something went wrong on our side. Try again; if it keeps happening, tell the platform admin.</p>
    </PageError>
  );
}
