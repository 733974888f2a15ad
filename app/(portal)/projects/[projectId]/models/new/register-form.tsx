"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { approvalNotice, modelHref } from "../_components/format";
import { ArchitectureFields } from "./architecture-fields";
import { BasicsFields } from "./basics-fields";
import { FeatureListEditor } from "./feature-list-editor";
import { ImageInputFields } from "./image-input-fields";
import { emptyDraft, templatesFor, toRegisterInput, type Issues, type ModelDraft } from "./model-draft";
import { OutcomeFields } from "./outcome-fields";

function merge(a: Issues, b: Issues): Issues {
  const out: Issues = { ...a };
  for (const [key, messages] of Object.entries(b)) out[key] = [...(out[key] ?? []), ...messages];
  return out;
}

/** Field messages are shown beside their fields; a whole-object message ("spec", or "form" for the whole input) has no field, so it goes here. */
function serverSummary(serverIssues: Issues): string | null {
  const unplaced = Object.entries(serverIssues).filter(([key]) => !key.includes(".") && key !== "limitations");
  if (unplaced.length) return unplaced.flatMap(([, messages]) => messages).join(". ");
  return Object.keys(serverIssues).length ? "The model was not registered; see the messages above." : null;
}

export function RegisterForm({ projectId, siteCodes }: { projectId: string; siteCodes: string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<ModelDraft>(emptyDraft);
  const [hasTried, setHasTried] = useState(false);
  const register = useMutation(trpc.models.register.mutationOptions());
  const local = useMemo(() => toRegisterInput(projectId, draft), [projectId, draft]);
  const serverIssues = fieldErrorsOf(register.error);
  const issues = merge(hasTried ? local.issues : {}, serverIssues);
  const problemCount = Object.values(hasTried ? local.issues : {}).flat().length;
  const change = (patch: Partial<ModelDraft>) => setDraft((d) => ({ ...d, ...patch }));

  function changeInputKind(inputKind: ModelDraft["inputKind"]) {
    // A template only fits one input kind; pasted JSON is left for the validator to judge.
    setDraft((d) => ({
      ...d,
      inputKind,
      architecture:
        d.architecture.kind === "template"
          ? { kind: "template", template: templatesFor(inputKind)[0]! }
          : d.architecture,
    }));
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setHasTried(true);
    if (!local.input) return;
    try {
      const { model } = await register.mutateAsync(local.input);
      await queryClient.invalidateQueries(trpc.models.list.pathFilter());
      // Registering may have made a new revision: the project's status and approvals change with it.
      await queryClient.invalidateQueries(trpc.projects.pathFilter());
      router.push(modelHref(projectId, model.id));
    } catch {
      return; // Shown from `register.error`.
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-6">
      <Card title="Model">
        <BasicsFields draft={draft} onChange={change} issues={issues} />
      </Card>
      <Card title="Input">
        <div className="space-y-4">
          <div className="sm:max-w-xs">
            <SelectField
              label="Input kind"
              name="input-kind"
              value={draft.inputKind}
              onChange={(e) => changeInputKind(e.target.value === "tabular" ? "tabular" : "image")}
            >
              <option value="image">Image</option>
              <option value="tabular">Tabular features</option>
            </SelectField>
          </div>
          {draft.inputKind === "image" ? (
            <ImageInputFields image={draft.image} onChange={(image) => change({ image })} issues={issues} />
          ) : (
            <FeatureListEditor
              features={draft.features}
              onChange={(features) => change({ features })}
              issues={issues}
            />
          )}
        </div>
      </Card>
      <Card title="Outcome (what the model predicts)">
        <OutcomeFields
          outcome={draft.outcome}
          inputKind={draft.inputKind}
          onChange={(outcome) => change({ outcome })}
          issues={issues}
        />
      </Card>
      <Card title="Architecture">
        <ArchitectureFields
          architecture={draft.architecture}
          inputKind={draft.inputKind}
          onChange={(architecture) => change({ architecture })}
          errors={issues["spec.architecture"]}
        />
      </Card>
      <Card title="Limitations">
        <TextAreaField
          label="Known limitations"
          name="limitations"
          rows={4}
          maxLength={4000}
          hint="Shown on the model card: populations it was not built for, known failure modes. You can edit this later."
          value={draft.limitations}
          onChange={(e) => change({ limitations: e.target.value })}
          errors={issues.limitations}
        />
      </Card>
      <div className="space-y-3 border-t border-slate-200 pt-4">
        <Alert tone="info">
          {approvalNotice(siteCodes)} If the bundle already lists a model with the same task, input and outcome, nothing
          changes.
        </Alert>
        {hasTried && problemCount > 0 ? (
          <Alert>
            Fix the {problemCount === 1 ? "problem" : `${problemCount} problems`} shown above, then register again.
          </Alert>
        ) : null}
        {register.error ? <Alert>{serverSummary(serverIssues) ?? messageOf(register.error)}</Alert> : null}
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={register.isPending}>
            {register.isPending ? "Registering…" : "Register model"}
          </Button>
          <Button asChild variant="secondary">
            <Link href={`/projects/${projectId}`}>Cancel</Link>
          </Button>
        </div>
      </div>
    </form>
  );
}
