"use client";

import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Card } from "@/app/_components/ui/card";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { DEFAULT_MIN_SITES_PER_ROUND, MIN_SITES_PER_ROUND } from "@/server/jobs/quorum.schema";
import { bundleOf } from "../../../_components/bundle-of";
import type { ProjectDetail } from "../../../_components/types";
import { ApprovedSitesField, isApproved } from "./approved-sites";
import { numberOf, parseTrainJob } from "./job-form-validation";
import { ModelVersionFields, type ModelChoice, type ModelSummary } from "./model-version-fields";
import { initialPrivacy, PrivacyFields, privacyOf, type PrivacyDraft } from "./privacy-fields";
import { StrategyFields, type StrategyDraft } from "./strategy-fields";
import { useStartJob } from "./use-start-job";
import { JobFormFooter } from "./job-form-footer";

const FIELD_KEYS = [
  "versionId",
  "hyperparameters.rounds",
  "hyperparameters.localEpochs",
  "hyperparameters.batchSize",
  "hyperparameters.learningRate",
  "hyperparameters.optimizer",
  "strategy.mu",
  "strategy.serverLr",
  "participation.minSites",
  "participation.roundDeadlineSeconds",
  "siteIds",
  "normBound",
  "validationFraction",
  "differentialPrivacy",
  "differentialPrivacy.noiseMultiplier",
  "differentialPrivacy.delta",
  "differentialPrivacy.exampleLevel.noiseMultiplier",
  "differentialPrivacy.exampleLevel.clipNorm",
  "secureAggregation",
] as const;

type Draft = {
  rounds: string;
  localEpochs: string;
  batchSize: string;
  learningRate: string;
  optimizer: "sgd" | "adam";
  minSites: string;
  roundDeadlineSeconds: string;
  normBound: string;
  validationFraction: string;
};

/** Starting points that train the templates well here: image models need a gentler rate and more rounds (measured on the demo CT slices). */
function defaultsFor(inputKind: string | undefined): Pick<Draft, "rounds" | "learningRate"> {
  return inputKind === "image" ? { rounds: "4", learningRate: "0.003" } : { rounds: "3", learningRate: "0.01" };
}

function strategyOf(draft: StrategyDraft) {
  if (draft.kind === "fedprox") return { kind: "fedprox", mu: numberOf(draft.mu) };
  if (draft.kind === "fedadam") return { kind: "fedadam", serverLr: numberOf(draft.serverLr) };
  return { kind: "fedavg" };
}

export function TrainForm({
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
  const approved = detail.sites.filter(isApproved).map((s) => s.siteId);
  const [choice, setChoice] = useState(initial);
  const kindOf = (modelId: string) => models.find((m) => m.id === modelId)?.inputKind;
  const [siteIds, setSiteIds] = useState(() => new Set(approved));
  const [strategy, setStrategy] = useState<StrategyDraft>({ kind: "fedavg", mu: "0.01", serverLr: "0.01" });
  // Three by default; never below two, so no version is one site's own update (with exactly two approved sites, two).
  const [draft, setDraft] = useState<Draft>({
    ...defaultsFor(kindOf(initial.modelId)),
    localEpochs: "2",
    batchSize: "32",
    optimizer: "adam",
    minSites: String(Math.max(MIN_SITES_PER_ROUND, Math.min(DEFAULT_MIN_SITES_PER_ROUND, approved.length))),
    roundDeadlineSeconds: "600",
    // With DP the bound is the clipping norm the noise is scaled to: small, or the noise drowns the update.
    normBound: bundleOf(detail).privacy.differentialPrivacy ? "1" : "100",
    validationFraction: "0.2",
  });
  const [privacy, setPrivacy] = useState<PrivacyDraft>(() => initialPrivacy(bundleOf(detail)));
  const train = useMutation(trpc.jobs.train.mutationOptions());
  const { errors, alerts, isSending, submit } = useStartJob(projectId, FIELD_KEYS, train.mutateAsync);
  const maxRounds = bundleOf(detail).maxRounds;
  const set = (key: keyof Draft) => (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value });
  const hasAdvancedErrors = !!(errors.normBound || errors.validationFraction);

  function choose(next: ModelChoice) {
    if (kindOf(next.modelId) !== kindOf(choice.modelId)) setDraft({ ...draft, ...defaultsFor(kindOf(next.modelId)) });
    setChoice(next);
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit(
      parseTrainJob({
        projectId,
        versionId: choice.versionId,
        hyperparameters: {
          rounds: numberOf(draft.rounds),
          localEpochs: numberOf(draft.localEpochs),
          batchSize: numberOf(draft.batchSize),
          learningRate: numberOf(draft.learningRate),
          optimizer: draft.optimizer,
        },
        strategy: strategyOf(strategy),
        participation: {
          minSites: numberOf(draft.minSites),
          roundDeadlineSeconds: numberOf(draft.roundDeadlineSeconds),
        },
        siteIds: [...siteIds],
        normBound: numberOf(draft.normBound),
        validationFraction: numberOf(draft.validationFraction),
        ...privacyOf(privacy),
      }),
    );
  }

  return (
    <form noValidate onSubmit={onSubmit} aria-label="Start a training job" className="space-y-6">
      <Card title="Starting model">
        <ModelVersionFields
          projectId={projectId}
          models={models}
          value={choice}
          onChange={choose}
          errors={errors.versionId}
        />
      </Card>
      <Card title="Local training">
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          <TextField
            label="Rounds"
            name="hyperparameters.rounds"
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            hint={`The approved bundle allows up to ${maxRounds}.`}
            value={draft.rounds}
            onChange={set("rounds")}
            errors={errors["hyperparameters.rounds"]}
          />
          <TextField
            label="Local epochs"
            name="hyperparameters.localEpochs"
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            hint="Passes over its data each site makes per round."
            value={draft.localEpochs}
            onChange={set("localEpochs")}
            errors={errors["hyperparameters.localEpochs"]}
          />
          <TextField
            label="Batch size"
            name="hyperparameters.batchSize"
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            hint="Examples per local training step."
            value={draft.batchSize}
            onChange={set("batchSize")}
            errors={errors["hyperparameters.batchSize"]}
          />
          <TextField
            label="Learning rate"
            name="hyperparameters.learningRate"
            type="number"
            inputMode="decimal"
            step="any"
            min={0}
            hint="Step size of each site’s optimizer."
            value={draft.learningRate}
            onChange={set("learningRate")}
            errors={errors["hyperparameters.learningRate"]}
          />
          <SelectField
            label="Optimizer"
            name="hyperparameters.optimizer"
            hint="Used by each site for its local training."
            value={draft.optimizer}
            onChange={(e) => setDraft({ ...draft, optimizer: e.target.value === "sgd" ? "sgd" : "adam" })}
            errors={errors["hyperparameters.optimizer"]}
          >
            <option value="adam">Adam</option>
            <option value="sgd">SGD</option>
          </SelectField>
        </div>
      </Card>
      <Card title="Aggregation">
        <StrategyFields value={strategy} onChange={setStrategy} errors={errors} />
      </Card>
      <Card title="Participation">
        <div className="space-y-4">
          <div className="grid gap-4 sm:grid-cols-2">
            <TextField
              label="Minimum sites per round"
              name="participation.minSites"
              type="number"
              inputMode="numeric"
              min={MIN_SITES_PER_ROUND}
              step={1}
              hint={`At least ${MIN_SITES_PER_ROUND}, so no new version is one site’s own update. At the deadline a round closes if at least this many sites reported; otherwise the job fails.`}
              value={draft.minSites}
              onChange={set("minSites")}
              errors={errors["participation.minSites"]}
            />
            <TextField
              label="Round deadline (seconds)"
              name="participation.roundDeadlineSeconds"
              type="number"
              inputMode="numeric"
              min={30}
              step={1}
              hint="How long each round waits for slower sites."
              value={draft.roundDeadlineSeconds}
              onChange={set("roundDeadlineSeconds")}
              errors={errors["participation.roundDeadlineSeconds"]}
            />
          </div>
          <ApprovedSitesField detail={detail} selected={siteIds} onChange={setSiteIds} errors={errors.siteIds} />
        </div>
      </Card>
      <Card title="Privacy">
        <PrivacyFields
          value={privacy}
          onChange={setPrivacy}
          errors={errors}
          training={{
            rounds: numberOf(draft.rounds),
            batchSize: numberOf(draft.batchSize),
            localEpochs: numberOf(draft.localEpochs),
          }}
        />
      </Card>
      <details
        open={hasAdvancedErrors || undefined}
        className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm sm:p-5"
      >
        <summary className="cursor-pointer text-base font-semibold text-slate-900">Advanced</summary>
        <div className="mt-3 grid gap-4 sm:grid-cols-2">
          <TextField
            label="Norm bound"
            name="normBound"
            type="number"
            inputMode="decimal"
            step="any"
            min={0}
            hint="The hub refuses a site update whose L2 norm is larger; guards against a broken or hostile update."
            value={draft.normBound}
            onChange={set("normBound")}
            errors={errors.normBound}
          />
          <TextField
            label="Validation fraction"
            name="validationFraction"
            type="number"
            inputMode="decimal"
            step="any"
            min={0.05}
            max={0.5}
            hint="Share of each site's cohort held out to measure the model, from 0.05 to 0.5."
            value={draft.validationFraction}
            onChange={set("validationFraction")}
            errors={errors.validationFraction}
          />
        </div>
      </details>
      <JobFormFooter
        projectId={projectId}
        blockedBy={blockedBy}
        alerts={alerts}
        isSending={isSending}
        submitLabel="Start training"
      />
    </form>
  );
}
