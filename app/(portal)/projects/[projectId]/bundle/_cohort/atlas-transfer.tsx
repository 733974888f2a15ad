"use client";

import { useState, type ChangeEvent } from "react";
import { exportCirce } from "@/protocol/circe/export-circe";
import { importCirce } from "@/protocol/circe/import-circe";
import type { CirceIssue } from "@/protocol/circe/reader";
import type { CohortDefinition } from "@/protocol/cohort-definition";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Dialog, DialogClose, DialogContent, DialogTrigger } from "@/app/_components/ui/dialog";
import { TextAreaField } from "@/app/_components/ui/text-area-field";

const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Import a cohort definition exported from ATLAS (Circe JSON, pasted or uploaded) and export the
 * portal's definition as Circe JSON that ATLAS opens. Whatever the portal cannot express is listed
 * with its JSON path, and nothing is imported until every element can be.
 */
export function AtlasTransfer({
  cohort,
  onImport,
}: {
  cohort: CohortDefinition | null;
  onImport: (definition: CohortDefinition, notes: CirceIssue[]) => void;
}) {
  const [isOpen, setIsOpen] = useState(false);
  const [text, setText] = useState("");
  const [errors, setErrors] = useState<CirceIssue[]>([]);
  const [exportProblem, setExportProblem] = useState<string | null>(null);

  async function readFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setErrors([{ path: file.name, message: `the file is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB` }]);
      return;
    }
    setText(await file.text());
    setErrors([]);
  }

  function runImport() {
    const result = importCirce(text);
    if (!result.ok) {
      setErrors(result.errors);
      return;
    }
    onImport(result.definition, result.notes);
    setIsOpen(false);
    setText("");
    setErrors([]);
  }

  function runExport() {
    if (!cohort) return;
    const result = exportCirce(cohort);
    if (!result.ok) {
      setExportProblem(`${result.path}: ${result.message}`);
      return;
    }
    setExportProblem(result.notes.length ? result.notes.join(" ") : null);
    const blob = new Blob([JSON.stringify(result.json, null, 2)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "cohort-definition.atlas.json";
    link.click();
    URL.revokeObjectURL(link.href);
  }

  return (
    <div className="flex flex-wrap items-center gap-2">
      <Dialog open={isOpen} onOpenChange={setIsOpen}>
        <DialogTrigger asChild>
          <Button type="button" variant="secondary">
            Import from ATLAS
          </Button>
        </DialogTrigger>
        <DialogContent
          title="Import an ATLAS cohort definition"
          description="Paste the JSON from ATLAS (Cohort Definitions › Export › JSON) or choose the file. It replaces the cohort below."
          className="max-w-2xl"
        >
          <div className="space-y-3">
            <label className="block text-sm text-slate-700">
              <span className="mb-1 block font-medium">JSON file</span>
              <input type="file" accept="application/json,.json" onChange={readFile} className="text-sm" />
            </label>
            <TextAreaField
              label="Circe JSON"
              name="atlas-json"
              rows={10}
              value={text}
              onChange={(e) => setText(e.target.value)}
              spellCheck={false}
            />
            {errors.length ? (
              <Alert>
                <p className="font-medium">The portal cannot import this definition as it is:</p>
                <ul className="mt-1 list-disc space-y-1 pl-5">
                  {errors.map((error) => (
                    <li key={`${error.path}:${error.message}`}>
                      <code className="break-all">{error.path}</code>: {error.message}
                    </li>
                  ))}
                </ul>
              </Alert>
            ) : null}
            <div className="flex justify-end gap-2">
              <DialogClose asChild>
                <Button type="button" variant="secondary">
                  Cancel
                </Button>
              </DialogClose>
              <Button type="button" onClick={runImport} disabled={!text.trim()}>
                Import
              </Button>
            </div>
          </div>
        </DialogContent>
      </Dialog>
      {cohort ? (
        <Button type="button" variant="secondary" onClick={runExport}>
          Export for ATLAS
        </Button>
      ) : null}
      {exportProblem ? (
        <p role="status" className="w-full text-sm text-amber-800">
          {exportProblem}
        </p>
      ) : null}
    </div>
  );
}
