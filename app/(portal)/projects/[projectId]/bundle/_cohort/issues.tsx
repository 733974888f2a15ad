"use client";

import { createContext, useContext, type ReactNode } from "react";
import type { Path } from "./cohort-draft";

type IssueMap = Map<string, string[]>;

const IssuesContext = createContext<IssueMap>(new Map());

export function keyOf(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

export function issueMapOf(issues: { path: readonly PropertyKey[]; message: string }[]): IssueMap {
  const map: IssueMap = new Map();
  for (const issue of issues) {
    const key = keyOf(issue.path);
    map.set(key, [...(map.get(key) ?? []), issue.message]);
  }
  return map;
}

export function IssuesProvider({ issues, children }: { issues: IssueMap; children: ReactNode }) {
  return <IssuesContext.Provider value={issues}>{children}</IssuesContext.Provider>;
}

/** Messages the cohort schema reported at exactly this path of the definition. */
export function useIssues(path: Path): string[] {
  return useContext(IssuesContext).get(keyOf(path)) ?? [];
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
