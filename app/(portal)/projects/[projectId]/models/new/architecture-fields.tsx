import { useId, type ChangeEvent } from "react";
import { SelectField } from "@/app/_components/ui/select-field";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import type { TemplateId } from "@/protocol/models/templates";
import { readWeightFiles } from "../_components/read-base64";
import { templatesFor, type ArchitectureDraft, type ModelDraft } from "./model-draft";

const TEMPLATE_LABELS: Record<TemplateId, string> = {
  small_cnn: "Small CNN (two convolutions; keeps where a lesion is)",
  mlp: "MLP: dense layers of 64 and 32 ReLU units",
  logistic_regression: "Logistic regression: inputs straight to the output layer",
};

type Props = {
  architecture: ArchitectureDraft;
  inputKind: ModelDraft["inputKind"];
  onChange: (next: ArchitectureDraft) => void;
  errors: string[] | undefined;
};

/**
 * A template, or a TF.js layers topology pasted or read from a model.json. Layers JSON is
 * declarative: sites rebuild the model from it and never run uploaded code.
 */
export function ArchitectureFields({ architecture, inputKind, onChange, errors }: Props) {
  const errorsId = useId();
  const templates = templatesFor(inputKind);

  async function readFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (file) onChange({ kind: "json", text: await file.text(), fileName: file.name, weightFiles: null });
  }

  async function readWeights(event: ChangeEvent<HTMLInputElement>) {
    if (architecture.kind !== "json") return;
    const files = event.target.files;
    onChange({ ...architecture, weightFiles: files?.length ? await readWeightFiles(files) : null });
  }

  return (
    <div className="space-y-4">
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium text-slate-800">Architecture source</legend>
        <label className="flex items-center gap-2 text-sm text-slate-800">
          <input
            type="radio"
            name="architecture-kind"
            className="h-4 w-4 accent-nhs-blue"
            checked={architecture.kind === "template"}
            onChange={() => onChange({ kind: "template", template: templates[0]! })}
          />
          Use a built-in template
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-800">
          <input
            type="radio"
            name="architecture-kind"
            className="h-4 w-4 accent-nhs-blue"
            checked={architecture.kind === "json"}
            onChange={() => onChange({ kind: "json", text: "", fileName: null, weightFiles: null })}
          />
          Paste or upload TF.js layers JSON
        </label>
      </fieldset>
      {architecture.kind === "template" ? (
        <SelectField
          label="Template"
          name="architecture-template"
          value={architecture.template}
          onChange={(e) => onChange({ kind: "template", template: e.target.value as TemplateId })}
          aria-describedby={errors?.length ? errorsId : undefined}
        >
          {templates.map((t) => (
            <option key={t} value={t}>
              {TEMPLATE_LABELS[t]}
            </option>
          ))}
        </SelectField>
      ) : (
        <>
          <TextAreaField
            label="Layers JSON"
            name="architecture-json"
            rows={8}
            className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-xs shadow-sm focus:ring-2 focus:ring-nhs-blue focus:outline-none"
            hint="The output of model.toJSON(), or a whole model.json (its modelTopology is used). The input and output layers must match the input and task above."
            value={architecture.text}
            onChange={(e) => onChange({ kind: "json", text: e.target.value, fileName: null, weightFiles: null })}
            aria-describedby={errors?.length ? errorsId : undefined}
          />
          <div className="flex flex-col gap-1">
            <label htmlFor="architecture-file" className="text-sm font-medium text-slate-800">
              Or upload a model.json
            </label>
            <input
              id="architecture-file"
              type="file"
              accept=".json,application/json"
              onChange={readFile}
              className="max-w-full text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm"
            />
            {architecture.fileName ? (
              <p className="text-xs text-slate-500">Read from {architecture.fileName}.</p>
            ) : null}
          </div>
          {architecture.fileName ? (
            <div className="flex flex-col gap-1">
              <label htmlFor="architecture-weights" className="text-sm font-medium text-slate-800">
                Its weight files (.bin), optional
              </label>
              <input
                id="architecture-weights"
                type="file"
                multiple
                accept=".bin,application/octet-stream"
                onChange={readWeights}
                className="max-w-full text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm"
              />
              <p className="text-xs text-slate-500">
                {architecture.weightFiles
                  ? `Version 1 will start from these weights (${Object.keys(architecture.weightFiles).length} file(s)); each tensor is checked against the architecture.`
                  : "Without them, version 1 starts from freshly initialised weights."}
              </p>
            </div>
          ) : null}
        </>
      )}
      {errors?.length ? (
        <div
          id={errorsId}
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800"
        >
          <p className="font-medium">The architecture is not accepted:</p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5">
            {errors.map((e) => (
              <li key={e} className="break-words">
                {e}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
