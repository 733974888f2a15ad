"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { FieldErrors } from "../_components/field-errors";
import { readWeightFiles } from "../_components/read-base64";

const fileInput =
  "max-w-full text-sm file:mr-3 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:py-1.5 file:text-sm";

/**
 * Adds trained TF.js weights (model.json + its .bin shards) as the next version. The hub checks
 * every tensor against the registered architecture, so only the weights are taken from the upload.
 */
export function ImportVersionForm({ projectId, modelId }: { projectId: string; modelId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const formRef = useRef<HTMLFormElement>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const [imported, setImported] = useState<number | null>(null);
  const upload = useMutation(trpc.models.importVersion.mutationOptions());
  const errors = fieldErrorsOf(upload.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setLocalError(null);
    setImported(null);
    upload.reset();
    const data = new FormData(event.currentTarget);
    const modelFile = data.get("import-model-json");
    const weights = data.getAll("import-weights").filter((f): f is File => f instanceof File && f.size > 0);
    if (!(modelFile instanceof File) || modelFile.size === 0) return setLocalError("Choose the model.json file.");
    if (weights.length === 0) return setLocalError("Choose the weight files (.bin) that model.json lists.");
    let modelJson: unknown;
    try {
      modelJson = JSON.parse(await modelFile.text());
    } catch {
      return setLocalError(`${modelFile.name} is not valid JSON.`);
    }
    let weightFiles: Record<string, string>;
    try {
      weightFiles = await readWeightFiles(weights);
    } catch (error) {
      return setLocalError(messageOf(error));
    }
    try {
      const version = await upload.mutateAsync({ projectId, modelId, modelJson, weightFiles });
      await queryClient.invalidateQueries(trpc.models.pathFilter());
      // A model the bundle did not list is added to it: a new revision for the sites to approve.
      await queryClient.invalidateQueries(trpc.projects.pathFilter());
      formRef.current?.reset();
      setImported(version.number);
    } catch {
      return; // Shown from `upload.error`.
    }
  }

  const otherError = upload.error && !errors.modelJson && !errors.weightFiles ? messageOf(upload.error) : null;
  return (
    <Card title="Import a TF.js model">
      <form ref={formRef} onSubmit={onSubmit} noValidate className="space-y-4">
        <p className="text-sm text-slate-600">
          Upload weights trained elsewhere as the next version. They must fit this model’s architecture tensor for
          tensor; only float32 weights are accepted.
        </p>
        <div className="flex flex-col gap-1">
          <label htmlFor="import-model-json" className="text-sm font-medium text-slate-800">
            model.json
          </label>
          <input
            id="import-model-json"
            name="import-model-json"
            type="file"
            accept=".json,application/json"
            className={fileInput}
            aria-invalid={!!errors.modelJson}
          />
          <FieldErrors errors={errors.modelJson} />
        </div>
        <div className="flex flex-col gap-1">
          <label htmlFor="import-weights" className="text-sm font-medium text-slate-800">
            Weight files (.bin)
          </label>
          <input
            id="import-weights"
            name="import-weights"
            type="file"
            multiple
            accept=".bin,application/octet-stream"
            className={fileInput}
            aria-invalid={!!errors.weightFiles}
          />
          <FieldErrors errors={errors.weightFiles} />
        </div>
        {localError ? <Alert>{localError}</Alert> : null}
        {otherError ? <Alert>{otherError}</Alert> : null}
        {imported !== null ? <Alert tone="success">Imported as version {imported}.</Alert> : null}
        <Button type="submit" disabled={upload.isPending}>
          {upload.isPending ? "Importing…" : "Import version"}
        </Button>
      </form>
    </Card>
  );
}
