import { Card } from "@/app/_components/ui/card";
import { formatDateTime } from "@/app/_components/time-format";
import { bundleOf, shortHash } from "../_components/bundle-of";
import { ProjectStatusBadge } from "../_components/status-badges";
import type { ProjectDetail } from "../_components/types";

export function ProjectOverview({ detail }: { detail: ProjectDetail }) {
  const bundle = bundleOf(detail);
  return (
    <Card title="Overview">
      <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[10rem_1fr]">
        <dt className="font-medium text-slate-600">Status</dt>
        <dd>
          <ProjectStatusBadge status={detail.project.status} />
        </dd>
        <dt className="font-medium text-slate-600">Purpose</dt>
        <dd className="break-words whitespace-pre-line text-slate-800">{bundle.purpose}</dd>
        <dt className="font-medium text-slate-600">Ethics reference</dt>
        <dd className="break-words">
          {detail.project.ethicsReference ?? <span className="text-slate-500">None given</span>}
        </dd>
        <dt className="font-medium text-slate-600">Governance bundle</dt>
        <dd>
          Revision {detail.revision.number}{" "}
          <code title={detail.revision.bundleHash} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs">
            {shortHash(detail.revision.bundleHash)}
          </code>
          <span className="block text-xs text-slate-500">Saved {formatDateTime(detail.revision.createdAt)}</span>
        </dd>
        <dt className="font-medium text-slate-600">Cohort</dt>
        <dd>
          {bundle.cohort ? (
            `Defined: ${bundle.cohort.inclusionRules.length} inclusion ${bundle.cohort.inclusionRules.length === 1 ? "rule" : "rules"}`
          ) : (
            <span className="text-slate-500">Not defined yet</span>
          )}
        </dd>
      </dl>
    </Card>
  );
}
