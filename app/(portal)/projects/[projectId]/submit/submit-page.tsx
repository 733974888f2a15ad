"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { BackLink } from "@/app/_components/ui/back-link";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { CellValue } from "../../_components/cell-value";
import { SiteChecklist, type ChecklistSite } from "../../_components/site-checklist";
import type { SiteOutcome } from "../../_components/types";
import { useProject } from "../use-project";
import { useLatestFeasibility } from "./use-latest-feasibility";

function feasibilityText(outcome: SiteOutcome | undefined) {
  if (!outcome) return "No feasibility count for this cohort yet";
  if (outcome.result)
    return (
      <>
        Feasibility count: <CellValue cell={outcome.result.total} threshold={outcome.result.threshold} /> people
      </>
    );
  if (outcome.status === "failed") return `Feasibility count failed: ${outcome.failureCode ?? "error"}`;
  return `Feasibility count ${outcome.status}…`;
}

export function SubmitPage({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const project = useProject(projectId);
  const directory = useQuery(trpc.sites.directory.queryOptions());
  const feasibility = useLatestFeasibility(projectId, project.data?.revision.definitionHash ?? null);
  const [chosen, setChosen] = useState<Set<string> | null>(null);
  const submit = useMutation(trpc.projects.submit.mutationOptions());
  const errors = fieldErrorsOf(submit.error);

  if (project.isPending || directory.isPending) return <Loading label="Loading sites…" />;
  if (project.isError || directory.isError) return <Alert>{messageOf(project.error ?? directory.error)}</Alert>;
  const detail = project.data;
  const asked = new Map(detail.sites.map((s) => [s.siteId, s]));
  const selected = chosen ?? new Set(asked.keys());
  const sites: ChecklistSite[] = directory.data.map((s) => ({
    ...s,
    detail: (
      <>
        {feasibilityText(feasibility.result?.sites.find((o) => o.siteId === s.id))}
        {asked.has(s.id) ? ` · already asked (${asked.get(s.id)!.status ?? "pending"})` : ""}
      </>
    ),
  }));

  async function onSubmit() {
    try {
      await submit.mutateAsync({ projectId, siteIds: [...selected] });
      await queryClient.invalidateQueries(trpc.projects.pathFilter());
      router.push(`/projects/${projectId}`);
    } catch {
      return; // Shown from `submit.error`.
    }
  }

  return (
    <>
      <BackLink href={`/projects/${projectId}`}>{detail.project.title}</BackLink>
      <PageHeader
        title="Submit for approval"
        description={`Ask sites to approve revision ${detail.revision.number} of the governance bundle. Each site’s data-governance officer decides for their own Trust.`}
      />
      <Card>
        <div className="space-y-4">
          {feasibility.isPending ? (
            <p className="text-sm text-slate-500">Loading the latest feasibility counts…</p>
          ) : !feasibility.run ? (
            <Alert tone="info">
              No feasibility count has run for this revision yet; you can still submit, or run one from the project page
              first.
            </Alert>
          ) : null}
          {feasibility.error ? <Alert>{messageOf(feasibility.error)}</Alert> : null}
          <SiteChecklist
            legend="Sites to ask"
            idPrefix="submit-site"
            sites={sites}
            selected={selected}
            onChange={setChosen}
          />
          {errors.siteIds ? (
            <Alert>{errors.siteIds.join(". ")}</Alert>
          ) : submit.error ? (
            <Alert>{messageOf(submit.error)}</Alert>
          ) : null}
          <div className="flex flex-wrap gap-2">
            <Button
              onClick={onSubmit}
              disabled={submit.isPending || selected.size === 0 || detail.project.status === "closed"}
            >
              {submit.isPending ? "Submitting…" : "Submit for approval"}
            </Button>
            <Button asChild variant="secondary">
              <Link href={`/projects/${projectId}`}>Cancel</Link>
            </Button>
          </div>
        </div>
      </Card>
    </>
  );
}
