import type { ReactNode } from "react";
import type { Bundle } from "@/server/projects/projects.schema";
import { BundleModels } from "./bundle-models";
import { CohortSummary } from "./cohort-summary";
import { Badge } from "@/app/_components/ui/badge";

/** A governance bundle as an approver reads it: what the site is asked to allow. */

const JOB_KIND_LABELS: Record<Bundle["allowedJobKinds"][number], string> = {
  cohort_count: "Cohort counts",
  train: "Federated training",
  evaluate: "Federated evaluation",
};

const OUTPUT_LABELS: Record<Bundle["outputs"][number], string> = {
  cohort_counts: "Suppressed cohort counts",
  model_updates: "Model weight updates",
  metrics: "Aggregate metrics",
};

function Section({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="grid gap-1 py-3 sm:grid-cols-[10rem_minmax(0,1fr)] sm:gap-4">
      <dt className="text-sm font-medium text-slate-500">{term}</dt>
      <dd className="min-w-0 text-sm break-words text-slate-900">{children}</dd>
    </div>
  );
}

function Pills({ items }: { items: string[] }) {
  return (
    <ul className="flex flex-wrap gap-1.5">
      {items.map((item) => (
        <li key={item}>
          <Badge tone="blue">{item}</Badge>
        </li>
      ))}
    </ul>
  );
}

export function BundleView({ bundle }: { bundle: Bundle }) {
  return (
    <dl className="divide-y divide-slate-200">
      <Section term="Purpose">
        <p className="whitespace-pre-line">{bundle.purpose}</p>
      </Section>
      <Section term="Allowed job kinds">
        <Pills items={bundle.allowedJobKinds.map((kind) => JOB_KIND_LABELS[kind] ?? kind)} />
      </Section>
      <Section term="Outputs that may leave the site">
        <Pills items={bundle.outputs.map((output) => OUTPUT_LABELS[output] ?? output)} />
      </Section>
      <Section term="Privacy">
        <ul className="space-y-0.5">
          <li>Counts below {bundle.privacy.minCellCount} are suppressed (minimum cell count)</li>
          {bundle.privacy.roundingBase ? (
            <li>Released counts are multiples of {bundle.privacy.roundingBase} at least</li>
          ) : null}
          {bundle.privacy.differentialPrivacy ? (
            <li>
              Training adds differential-privacy noise: multiplier{" "}
              {bundle.privacy.differentialPrivacy.minNoiseMultiplier} at least, δ{" "}
              {bundle.privacy.differentialPrivacy.maxDelta} at most
              {bundle.privacy.differentialPrivacy.maxEpsilon !== undefined
                ? `, ε ${bundle.privacy.differentialPrivacy.maxEpsilon} at most per site over the whole project`
                : ""}
            </li>
          ) : null}
          {bundle.privacy.secureAggregation ? <li>Training rounds use secure aggregation</li> : null}
        </ul>
      </Section>
      <Section term="Max rounds">{bundle.maxRounds} training rounds at most</Section>
      <Section term="Models">
        <BundleModels models={bundle.models} />
      </Section>
      <Section term="Cohort">
        {bundle.cohort ? (
          <CohortSummary definition={bundle.cohort} />
        ) : (
          <p className="text-slate-600">No cohort defined yet</p>
        )}
      </Section>
    </dl>
  );
}
