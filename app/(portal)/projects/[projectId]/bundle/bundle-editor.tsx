"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useMemo, useState } from "react";
import { ZCohortDefinition, type CohortDefinition } from "@/protocol/cohort-definition";
import { fieldErrorsFromIssues } from "@/protocol/field-errors";
import { BundleModels } from "@/app/_components/bundle-models";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { bundleOf } from "../../_components/bundle-of";
import type { ProjectDetail } from "../../_components/types";
import type { CirceIssue } from "@/protocol/circe/reader";
import { AtlasTransfer } from "./_cohort/atlas-transfer";
import { emptyCohort } from "./_cohort/cohort-draft";
import { CohortBuilder } from "./_cohort/cohort-builder";
import { IssuesProvider } from "./_cohort/issues";
import { GovernanceFields, governanceErrorsOf, type Governance } from "./governance-fields";
import { SavedNotice, type SavedRevision } from "./saved-notice";

export function BundleEditor({ detail }: { detail: ProjectDetail }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const saved = bundleOf(detail);
  const projectId = detail.project.id;
  const [governance, setGovernance] = useState<Governance>({
    purpose: saved.purpose,
    allowedJobKinds: saved.allowedJobKinds,
    outputs: saved.outputs,
    privacy: saved.privacy,
    maxRounds: saved.maxRounds,
  });
  const [cohort, setCohort] = useState<CohortDefinition | null>(saved.cohort);
  const [hasTriedSave, setHasTriedSave] = useState(false);
  const [importNotes, setImportNotes] = useState<CirceIssue[] | null>(null);
  const [lastSaved, setLastSaved] = useState<SavedRevision | null>(null);
  const update = useMutation(trpc.projects.updateBundle.mutationOptions());

  const governanceErrors = governanceErrorsOf(governance);
  const parsed = useMemo(() => (cohort ? ZCohortDefinition.safeParse(cohort) : null), [cohort]);
  const cohortIssues = parsed && !parsed.success ? parsed.error.issues : [];
  const problemCount = Object.keys(governanceErrors).length + cohortIssues.length;
  const isGoverned =
    (detail.project.status === "submitted" || detail.project.status === "active") && detail.sites.length > 0;
  const serverErrors = fieldErrorsOf(update.error);
  const serverMessages = Object.values(serverErrors).flat();

  async function save() {
    setHasTriedSave(true);
    setLastSaved(null);
    if (problemCount > 0) return;
    try {
      const result = await update.mutateAsync({
        projectId,
        bundle: { bundleVersion: 1, ...governance, cohort: parsed?.success ? parsed.data : null, models: saved.models },
      });
      await queryClient.invalidateQueries(trpc.projects.pathFilter());
      setLastSaved({ number: result.revision.number, isNew: result.isNew, siteCodes: detail.sites.map((s) => s.code) });
    } catch {
      return; // Shown from `update.error`.
    }
  }

  return (
    <div className="space-y-6">
      <GovernanceFields value={governance} onChange={setGovernance} errors={hasTriedSave ? governanceErrors : {}} />
      <Card title="Models sites approve">
        <div className="space-y-3 text-sm">
          <p className="text-slate-600">
            What each model may learn from and predict. Registering a model adds its spec here; only models listed in
            the approved revision can train or be evaluated.
          </p>
          <BundleModels models={saved.models} />
        </div>
      </Card>
      <section aria-labelledby="cohort-title" className="space-y-3">
        <div className="flex flex-wrap items-center justify-between gap-2">
          <h2 id="cohort-title" className="text-lg font-semibold text-slate-900">
            Cohort definition
          </h2>
          <div className="flex flex-wrap gap-2">
            <AtlasTransfer
              cohort={cohort}
              onImport={(definition, notes) => {
                setCohort(definition);
                setImportNotes(notes);
              }}
            />
            {cohort ? (
              <Button type="button" variant="secondary" onClick={() => setCohort(null)}>
                Remove cohort
              </Button>
            ) : null}
          </div>
        </div>
        {importNotes ? (
          <Alert tone="info">
            <p>Imported from ATLAS. Save the bundle to keep it.</p>
            {importNotes.length ? (
              <ul className="mt-1 list-disc space-y-1 pl-5">
                {importNotes.map((note) => (
                  <li key={note.path}>
                    <code>{note.path}</code>: {note.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </Alert>
        ) : null}
        {cohort ? (
          <IssuesProvider issues={fieldErrorsFromIssues(cohortIssues)}>
            <CohortBuilder cohort={cohort} onChange={setCohort} />
          </IssuesProvider>
        ) : (
          <Card>
            <p className="mb-3 text-sm text-slate-600">
              No cohort yet. Build one from an entry event, demographics and inclusion rules; sites compile it to SQL
              against their own OMOP data.
            </p>
            <Button type="button" onClick={() => setCohort(emptyCohort())}>
              Define cohort
            </Button>
          </Card>
        )}
      </section>
      <div className="space-y-3 border-t border-slate-200 pt-4">
        {isGoverned && !lastSaved ? (
          <Alert tone="warning">
            Saving creates revision {detail.revision.number + 1}; every site must approve again. Until they do, no work
            reaches {detail.sites.map((s) => s.code).join(", ")}.
          </Alert>
        ) : null}
        {cohort && cohortIssues.length ? (
          <p className="text-sm text-amber-800">
            The cohort has {cohortIssues.length} {cohortIssues.length === 1 ? "problem" : "problems"}, shown beside the
            fields.
          </p>
        ) : null}
        {hasTriedSave && problemCount > 0 ? (
          <Alert>
            Fix the {problemCount === 1 ? "problem" : `${problemCount} problems`} shown above, then save again.
          </Alert>
        ) : null}
        {update.error ? (
          <Alert>{serverMessages.length ? serverMessages.join(". ") : messageOf(update.error)}</Alert>
        ) : null}
        {lastSaved ? <SavedNotice projectId={projectId} saved={lastSaved} /> : null}
        <div className="flex flex-wrap gap-2">
          <Button type="button" onClick={save} disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save bundle"}
          </Button>
          <Button asChild variant="secondary">
            <Link href={`/projects/${projectId}`}>Back to project</Link>
          </Button>
        </div>
      </div>
    </div>
  );
}
