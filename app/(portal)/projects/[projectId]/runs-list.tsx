"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { formatDateTime } from "@/app/_components/time-format";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

export function RunsList({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const runs = useQuery(trpc.cohorts.runs.queryOptions({ projectId }));
  if (runs.isPending) return <p className="mt-4 text-sm text-slate-500">Loading earlier runs…</p>;
  if (runs.isError) return <Alert>{messageOf(runs.error)}</Alert>;
  if (runs.data.length === 0) return <p className="mt-4 text-sm text-slate-500">No cohort runs yet.</p>;
  return (
    <div className="mt-5 border-t border-slate-200 pt-4">
      <h3 className="mb-2 text-sm font-semibold text-slate-900">Earlier runs</h3>
      <ul aria-label="Cohort runs" className="divide-y divide-slate-100 text-sm">
        {runs.data.slice(0, 10).map((r) => (
          <li key={r.id} className="flex flex-wrap items-center justify-between gap-2 py-2">
            <Link
              href={`/projects/${projectId}/cohorts/${r.id}`}
              className="text-nhs-blue underline-offset-2 hover:underline"
            >
              {formatDateTime(r.createdAt)}
            </Link>
            <Badge tone={r.purpose === "approved" ? "green" : "neutral"}>
              {r.purpose === "approved" ? "Approved count" : "Feasibility"}
            </Badge>
          </li>
        ))}
      </ul>
    </div>
  );
}
