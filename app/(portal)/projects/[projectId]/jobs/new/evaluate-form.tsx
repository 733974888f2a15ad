"use client";

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Card } from "@/app/_components/ui/card";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import type { ProjectDetail } from "../../../_components/types";
import { ApprovedSitesField, isApproved } from "./approved-sites";
import { numberOf, parseEvaluateJob } from "./job-form-validation";
import { ModelVersionFields, type ModelChoice, type ModelSummary } from "./model-version-fields";
import { useStartJob } from "./use-start-job";
import { JobFormFooter } from "./job-form-footer";

const FIELD_KEYS = ["versionId", "siteIds", "validationFraction"] as const;

export function EvaluateForm({
  detail,
  models,
  initial,
  blockedBy,
}: {
  detail: ProjectDetail;
  models: ModelSummary[];
  initial: ModelChoice;
  blockedBy: string | null;
}) {
  const trpc = useTRPC();
  const projectId = detail.project.id;
  const [choice, setChoice] = useState(initial);
  const [siteIds, setSiteIds] = useState(() => new Set(detail.sites.filter(isApproved).map((s) => s.siteId)));
  const [validationFraction, setValidationFraction] = useState("0.2");
  const evaluate = useMutation(trpc.jobs.evaluate.mutationOptions());
  const { errors, alerts, isSending, submit } = useStartJob(projectId, FIELD_KEYS, evaluate.mutateAsync);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit(
      parseEvaluateJob({
        projectId,
        versionId: choice.versionId,
        siteIds: [...siteIds],
        validationFraction: numberOf(validationFraction),
      }),
    );
  }

  return (
    <form noValidate onSubmit={onSubmit} aria-label="Start an evaluation job" className="space-y-6">
      <Card title="Model to evaluate">
        <ModelVersionFields
          projectId={projectId}
          models={models}
          value={choice}
          onChange={setChoice}
          errors={errors.versionId}
        />
      </Card>
      <Card title="Where to evaluate">
        <div className="space-y-4">
          <ApprovedSitesField detail={detail} selected={siteIds} onChange={setSiteIds} errors={errors.siteIds} />
          <div className="sm:max-w-xs">
            <TextField
              label="Validation fraction"
              name="validationFraction"
              type="number"
              inputMode="decimal"
              step="any"
              min={0.05}
              max={0.5}
              hint="Kept in the job's split (0.05–0.5); it does not change who is scored. An evaluation scores each site's test split: 20% of persons, chosen by the job's seed, that training never sees."
              value={validationFraction}
              onChange={(e) => setValidationFraction(e.target.value)}
              errors={errors.validationFraction}
            />
          </div>
        </div>
      </Card>
      <JobFormFooter
        projectId={projectId}
        blockedBy={blockedBy}
        alerts={alerts}
        isSending={isSending}
        submitLabel="Start evaluation"
      />
    </form>
  );
}
