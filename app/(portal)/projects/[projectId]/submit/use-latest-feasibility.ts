"use client";

import { skipToken, useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/client";

/** The newest feasibility run of the current cohort definition (in any revision), with its per-site results. */
export function useLatestFeasibility(projectId: string, definitionHash: string | null) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.cohorts.runs.queryOptions({ projectId }));
  const latest = runs.data?.find((r) => r.purpose === "feasibility" && r.definitionHash === definitionHash);
  const result = useQuery(trpc.cohorts.result.queryOptions(latest ? { projectId, runId: latest.id } : skipToken));
  return {
    isPending: runs.isPending || (!!latest && result.isPending),
    run: latest ?? null,
    result: result.data ?? null,
    error: runs.error ?? result.error,
  };
}
