"use client";

import { useQuery } from "@tanstack/react-query";
import { SelectField } from "@/app/_components/ui/select-field";
import { formatDateTime } from "@/app/_components/time-format";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import type { RouterOutput } from "@/app/_trpc/types";

export type ModelSummary = RouterOutput["models"]["list"][number];
export type ModelChoice = { modelId: string; versionId: string };

const SOURCE_LABELS = { initial: "initial weights", import: "imported", training: "trained" } as const;

/** Picks a model, then one of its versions; switching model starts from that model's newest version. */
export function ModelVersionFields({
  projectId,
  models,
  value,
  onChange,
  errors,
}: {
  projectId: string;
  models: ModelSummary[];
  value: ModelChoice;
  onChange: (next: ModelChoice) => void;
  errors?: string[];
}) {
  const trpc = useTRPC();
  const model = useQuery({
    ...trpc.models.byId.queryOptions({ projectId, modelId: value.modelId }),
    enabled: value.modelId !== "",
  });
  const versionHint = model.isError
    ? `Could not load the versions: ${messageOf(model.error)}`
    : model.isPending && value.modelId
      ? "Loading versions…"
      : undefined;

  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <SelectField
        label="Model"
        name="modelId"
        value={value.modelId}
        onChange={(e) =>
          onChange({
            modelId: e.target.value,
            versionId: models.find((m) => m.id === e.target.value)?.latestVersion?.id ?? "",
          })
        }
      >
        {models.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="Version"
        name="versionId"
        hint={versionHint}
        value={value.versionId}
        onChange={(e) => onChange({ ...value, versionId: e.target.value })}
        errors={errors}
      >
        {value.versionId === "" ? <option value="">Choose a version</option> : null}
        {/* Keeps a preset version selectable while the list loads. */}
        {!model.data && value.versionId ? <option value={value.versionId}>Selected version</option> : null}
        {model.data?.versions.map((v) => (
          <option key={v.id} value={v.id}>
            {[`v${v.number}`, SOURCE_LABELS[v.source], ...v.aliases, formatDateTime(v.createdAt)].join(" · ")}
          </option>
        ))}
      </SelectField>
    </div>
  );
}
