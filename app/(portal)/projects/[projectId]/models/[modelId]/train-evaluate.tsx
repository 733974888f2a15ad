"use client";

import Link from "next/link";
import { useState } from "react";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { SelectField } from "@/app/_components/ui/select-field";
import { jobsNewHref } from "../_components/format";
import type { ModelVersionRow } from "../_components/types";

/** Starts a federated job from a chosen version; the jobs page owns the rest of the set-up. */
export function TrainEvaluate({
  projectId,
  modelId,
  versions,
}: {
  projectId: string;
  modelId: string;
  versions: ModelVersionRow[];
}) {
  const [versionId, setVersionId] = useState(versions[0]?.id ?? "");
  const chosen = versions.find((v) => v.id === versionId) ?? versions[0];
  if (!chosen) return null;
  return (
    <Card title="Train or evaluate">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end">
        <div className="min-w-0 sm:w-72">
          <SelectField
            label="Starting version"
            name="job-version"
            value={chosen.id}
            onChange={(e) => setVersionId(e.target.value)}
          >
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                v{v.number}
                {v.aliases.length ? ` (${v.aliases.join(", ")})` : ""}
                {v.id === versions[0]?.id ? " · latest" : ""}
              </option>
            ))}
          </SelectField>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button asChild>
            <Link href={jobsNewHref(projectId, modelId, chosen.id)}>Train</Link>
          </Button>
          <Button asChild variant="secondary">
            <Link href={jobsNewHref(projectId, modelId, chosen.id, "evaluate")}>Evaluate</Link>
          </Button>
        </div>
      </div>
      <p className="mt-2 text-xs text-slate-500">
        Training runs federated rounds at the sites that approved the current revision, starting from v{chosen.number};
        evaluation scores v{chosen.number} on each site’s held-out split.
      </p>
    </Card>
  );
}
