"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { bundleOf } from "../_components/bundle-of";
import { SiteChecklist } from "../_components/site-checklist";
import type { ProjectDetail } from "../_components/types";
import { checkCountPrivacy, CountPrivacyFields, DEFAULT_COUNT_DP } from "./count-privacy-fields";
import { RunsList } from "./runs-list";

/** Feasibility counts go to any chosen site (its policy may refuse); approved counts only to sites that approved this revision. */
export function CohortCounts({ detail }: { detail: ProjectDetail }) {
  const trpc = useTRPC();
  const router = useRouter();
  const projectId = detail.project.id;
  const directory = useQuery(trpc.sites.directory.queryOptions());
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const bundle = bundleOf(detail);
  // A bundle that requires DP counts turns the option on, at its largest ε and δ, and keeps it on.
  const required = bundle.privacy.countPrivacy;
  const [dpOn, setDpOn] = useState(required !== undefined);
  const [dp, setDp] = useState(
    required ? { epsilon: required.maxEpsilonPerCount, delta: required.maxDelta } : DEFAULT_COUNT_DP,
  );
  const privacy = checkCountPrivacy(dpOn || required !== undefined, dp);
  const run = useMutation(
    trpc.cohorts.run.mutationOptions({ onSuccess: (r) => router.push(`/projects/${projectId}/cohorts/${r.id}`) }),
  );
  const approved = detail.sites.filter((s) => s.status === "approved");
  const canRun =
    detail.myRole !== "viewer" &&
    detail.project.status !== "closed" &&
    !!bundle.cohort &&
    bundle.allowedJobKinds.includes("cohort_count");

  return (
    <Card title="Cohort counts">
      {!bundle.cohort ? (
        <p className="mb-3 text-sm text-slate-600">
          Define the cohort in the{" "}
          <Link className="text-nhs-blue underline" href={`/projects/${projectId}/bundle`}>
            governance bundle
          </Link>{" "}
          before counting it.
        </p>
      ) : null}
      {canRun ? (
        <div className="space-y-3">
          {directory.isPending ? (
            <Loading label="Loading sites…" />
          ) : directory.isError ? (
            <Alert>{messageOf(directory.error)}</Alert>
          ) : (
            <SiteChecklist
              legend="Sites to count at"
              idPrefix="feasibility-site"
              sites={directory.data}
              selected={chosen}
              onChange={setChosen}
            />
          )}
          <CountPrivacyFields
            on={dpOn || required !== undefined}
            required={required !== undefined}
            dp={dp}
            steps={(bundle.cohort?.inclusionRules.length ?? 0) + 1}
            error={privacy.error}
            onChange={(on, next) => {
              setDpOn(on);
              setDp(next);
            }}
          />
          {run.error ? <Alert>{messageOf(run.error)}</Alert> : null}
          <div className="flex flex-wrap gap-2">
            <Button
              disabled={run.isPending || chosen.size === 0 || !!privacy.error}
              onClick={() =>
                run.mutate({
                  projectId,
                  purpose: "feasibility",
                  siteIds: [...chosen],
                  differentialPrivacy: privacy.value,
                })
              }
            >
              Run feasibility count
            </Button>
            {approved.length ? (
              <Button
                variant="secondary"
                disabled={run.isPending || !!privacy.error}
                onClick={() =>
                  run.mutate({
                    projectId,
                    purpose: "approved",
                    siteIds: approved.map((s) => s.siteId),
                    differentialPrivacy: privacy.value,
                  })
                }
              >
                Run cohort count at {approved.map((s) => s.code).join(", ")}
              </Button>
            ) : null}
          </div>
          <p className="text-xs text-slate-500">
            Feasibility counts run before approval where a site’s policy allows them, and at most a few times a day per
            definition. Counts below each site’s threshold come back suppressed.
          </p>
        </div>
      ) : null}
      <RunsList projectId={projectId} />
    </Card>
  );
}
