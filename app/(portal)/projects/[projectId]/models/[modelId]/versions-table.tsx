import Link from "next/link";
import { Badge } from "@/app/_components/ui/badge";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { formatDateTime } from "@/app/_components/time-format";
import { downloadHref, formatMetric, METRICS, pooledOf } from "../_components/format";
import { textLinkClass } from "@/app/_components/ui/text-link";
import type { ModelVersionRow } from "../_components/types";
import { AliasButtons } from "./alias-buttons";

function VersionSource({ projectId, version }: { projectId: string; version: ModelVersionRow }) {
  const { lineage } = version;
  if (lineage.kind === "training") {
    return (
      <Link href={`/projects/${projectId}/jobs/${lineage.jobId}`} className={textLinkClass}>
        Training job {lineage.jobId.slice(0, 8)}, round {lineage.round}
      </Link>
    );
  }
  if (lineage.kind === "import") return <span title={lineage.fileNames.join(", ")}>Imported TF.js weights</span>;
  return <span>Initial{lineage.template ? ` (${lineage.template.replace(/_/g, " ")} template)` : ""}</span>;
}

function columnsFor(projectId: string, modelId: string, canWrite: boolean): Column<ModelVersionRow>[] {
  return [
    {
      header: "Version",
      cell: (v) => (
        <span className="flex flex-wrap items-center gap-1.5">
          <span className="font-semibold">v{v.number}</span>
          {v.aliases.map((a) => (
            <Badge key={a} tone={a === "champion" ? "green" : "blue"}>
              {a}
            </Badge>
          ))}
        </span>
      ),
    },
    { header: "Source", cell: (v) => <VersionSource projectId={projectId} version={v} /> },
    { header: "Created", cell: (v) => formatDateTime(v.createdAt) },
    ...METRICS.map((m) => ({
      header: m.label,
      cell: (v: ModelVersionRow) => formatMetric(pooledOf(v.metrics)?.[m.key]),
      className: "tabular-nums",
    })),
    {
      header: "Examples",
      className: "tabular-nums",
      cell: (v) => {
        const pooled = pooledOf(v.metrics);
        if (!pooled) return <span className="text-slate-500">—</span>;
        return `${(pooled.examples ?? 0).toLocaleString("en-GB")} at ${pooled.sites ?? 0} ${pooled.sites === 1 ? "site" : "sites"}`;
      },
    },
    {
      header: "Actions",
      cell: (v) => (
        <span className="flex flex-col gap-1.5">
          <span className="flex flex-wrap gap-x-3 gap-y-1">
            <Link
              href={`/projects/${projectId}/models/${modelId}/card?version=${v.id}`}
              className={textLinkClass}
              aria-label={`Model card for version ${v.number}`}
            >
              Model card
            </Link>
            {canWrite ? (
              <a
                href={downloadHref(projectId, v.id)}
                download
                className={textLinkClass}
                aria-label={`Download version ${v.number}`}
              >
                Download
              </a>
            ) : null}
          </span>
          {canWrite ? <AliasButtons projectId={projectId} version={v} /> : null}
        </span>
      ),
    },
  ];
}

/** Every version, newest first, with pooled validation figures side by side. */
export function VersionsTable({
  projectId,
  modelId,
  versions,
  canWrite,
}: {
  projectId: string;
  modelId: string;
  versions: ModelVersionRow[];
  canWrite: boolean;
}) {
  return (
    <section aria-labelledby="versions-title" className="space-y-2">
      <h2 id="versions-title" className="text-lg font-semibold text-slate-900">
        Versions
      </h2>
      <p className="text-sm text-slate-600">
        Pooled validation metrics, from the sites’ summed confusion matrices and score histograms; sensitivity and
        specificity at a 0.5 threshold (for an uncommon outcome a model can rank cases well (AUC) yet call every case
        negative at 0.5, which shows as sensitivity 0). “—” means not evaluated yet or not defined for this task.
      </p>
      {versions.length ? (
        <DataTable
          label="Model versions"
          columns={columnsFor(projectId, modelId, canWrite)}
          rows={versions}
          rowKey={(v) => v.id}
        />
      ) : (
        <EmptyState title="No versions yet" />
      )}
    </section>
  );
}
