"use client";

import { createContext, useContext, type ReactNode } from "react";
import { fieldKeyOf, type FieldErrors } from "@/protocol/field-errors";
import type { Path } from "./cohort-draft";

const IssuesContext = createContext<FieldErrors>({});

/** The cohort schema's issues by field (`fieldErrorsFromIssues`), for the editors below to show at their paths. */
export function IssuesProvider({ issues, children }: { issues: FieldErrors; children: ReactNode }) {
  return <IssuesContext.Provider value={issues}>{children}</IssuesContext.Provider>;
}

/** Messages the cohort schema reported at exactly this path of the definition. */
export function useIssues(path: Path): string[] {
  return useContext(IssuesContext)[fieldKeyOf(path)] ?? [];
}

export function InlineIssues({ path, id }: { path: Path; id?: string }) {
  const messages = useIssues(path);
  if (!messages.length) return null;
  return (
    <p id={id} role="alert" className="text-sm text-red-700">
      {messages.join(". ")}
    </p>
  );
}
