import Link from "next/link";
import type { ReactNode } from "react";
import { Card } from "@/app/_components/ui/card";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { formatDateTime } from "@/app/_components/time-format";
import { ZStrategyConfig } from "@/server/aggregation/strategy.schema";
import { ZHyperparameters } from "@/server/jobs/jobs.schema";
import { CellValue } from "../../../../_components/cell-value";
import { describeStrategy } from "../../../jobs/_components/job-format";
import { describeInput, TASK_LABELS } from "../../_components/format";
import { textLinkClass } from "@/app/_components/ui/text-link";
import type { ModelCardData } from "../../_components/types";

type CountRow = ModelCardData["data"]["cohortCounts"][number];

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card title={title}>
      <div className="space-y-3 text-sm text-slate-800">{children}</div>
    </Card>
  );
}

export function IntendedUse({ card }: { card: ModelCardData }) {
  const { model, project, version } = card;
  return (
    <Section title="Intended use">
      <p className="whitespace-pre-line">{project.purpose}</p>
      <p>
        Predicts <strong>{model.outcome.name}</strong> from {describeInput(model.input)}. {TASK_LABELS[model.task]}
        {model.classes ? ` over ${model.classes} classes` : ""}; {model.parameterCount.toLocaleString("en-GB")}{" "}
        parameters.
      </p>
      <p className="text-slate-600">
        Project “{project.title}”{project.ethicsReference ? `, ethics reference ${project.ethicsReference}` : ""}.
        Weights SHA-256 <code className="text-xs break-all">{version.weightsSha256}</code>
        {version.parentNumber ? `; trained from v${version.parentNumber}` : ""}.
      </p>
    </Section>
  );
}

const countColumns: Column<CountRow>[] = [
  { header: "Site", cell: (c) => <span className="font-semibold">{c.site}</span> },
  {
    header: "Training examples",
    className: "tabular-nums",
    cell: (c) =>
      c.trainingExamples === null ? (
        <span className="text-slate-500">Did not take part</span>
      ) : (
        c.trainingExamples.toLocaleString("en-GB")
      ),
  },
  {
    header: "Cohort size (approved count)",
    className: "tabular-nums",
    cell: (c) =>
      c.total === null || c.threshold === null ? (
        <span className="text-slate-500">Not counted</span>
      ) : (
        <CellValue cell={c.total} threshold={c.threshold} />
      ),
  },
  { header: "Counted", cell: (c) => (c.countedAt ? formatDateTime(c.countedAt) : "—") },
];

/** Cohort sizes are the sites' own suppressed counts; the hub never sees who is in a cohort. */
export function DataSection({ card }: { card: ModelCardData }) {
  const { data } = card;
  return (
    <Section title="Data">
      {data.cohortCounts.length ? (
        <>
          <DataTable
            label="Cohort size per site"
            columns={countColumns}
            rows={data.cohortCounts}
            rowKey={(c) => c.site}
          />
          <p className="text-slate-600">
            Training examples are what each site trained this version on (its training split). Cohort sizes come from
            the latest approved cohort count; counts below {data.minCellCount} are suppressed at the site (shown as
            “&lt; threshold”, which may be zero).
          </p>
        </>
      ) : (
        <p>No federated training data: this version was not trained by a job.</p>
      )}
    </Section>
  );
}

function JsonLine({ label, value }: { label: string; value: unknown }) {
  return (
    <p>
      <span className="font-medium">{label}:</span> <code className="text-xs break-all">{JSON.stringify(value)}</code>
    </p>
  );
}

const OPTIMIZER_NAMES: Record<string, string> = { adam: "Adam", sgd: "SGD" };

/** The job's settings in words, as on the job page; anything this page does not recognise is shown as stored. */
function Settings({ strategy, hyperparameters }: { strategy: unknown; hyperparameters: unknown }) {
  const s = ZStrategyConfig.safeParse(strategy);
  const h = ZHyperparameters.safeParse(hyperparameters);
  if (!s.success || !h.success) {
    return (
      <>
        <JsonLine label="Strategy" value={strategy} />
        <JsonLine label="Hyperparameters" value={hyperparameters} />
      </>
    );
  }
  const { rounds, localEpochs, batchSize, learningRate, optimizer } = h.data;
  return (
    <p>
      <span className="font-medium">Settings:</span> {describeStrategy(s.data)} · {rounds}{" "}
      {rounds === 1 ? "round" : "rounds"} · {localEpochs} local {localEpochs === 1 ? "epoch" : "epochs"} · batch{" "}
      {batchSize} · learning rate {learningRate} · {OPTIMIZER_NAMES[optimizer] ?? optimizer}
    </p>
  );
}

export function TrainingSection({ card, projectId }: { card: ModelCardData; projectId: string }) {
  const t = card.training;
  if (!t) {
    return (
      <Section title="Training">
        <p>
          Not trained by FLIP:{" "}
          {card.origin?.kind === "import"
            ? `imported TF.js weights (${card.origin.fileNames.join(", ")})`
            : "freshly initialised weights"}
          .
        </p>
      </Section>
    );
  }
  return (
    <Section title="Training">
      <p>
        Federated job{" "}
        <Link href={`/projects/${projectId}/jobs/${t.jobId}`} className={textLinkClass}>
          {t.jobId.slice(0, 8)}
        </Link>
        , round {t.round} of {t.roundsInJob ?? "?"}
        {t.startedAt ? `, ${formatDateTime(t.startedAt)}` : ""}
        {t.finishedAt ? ` to ${formatDateTime(t.finishedAt)}` : ""}.
      </p>
      <p>
        Sites in this round:{" "}
        {t.sites.map((s) => `${s.code} (${s.examples.toLocaleString("en-GB")} examples)`).join(", ") || "none"};
        expected {t.expectedSites.join(", ")}.
      </p>
      <Settings strategy={t.strategy} hyperparameters={t.hyperparameters} />
      <p className="text-slate-600">
        Governance bundle SHA-256 at training time: <code className="text-xs break-all">{t.revisionHash}</code>
      </p>
    </Section>
  );
}
