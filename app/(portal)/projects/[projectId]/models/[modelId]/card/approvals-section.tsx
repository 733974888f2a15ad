import { Badge } from "@/app/_components/ui/badge";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { formatDateTime } from "@/app/_components/time-format";
import type { ModelCardData } from "../../_components/types";
import { Section } from "./card-sections";

type Decision = ModelCardData["approvals"]["decisions"][number];
const TONES = { approved: "green", declined: "red", pending: "amber", withdrawn: "red" } as const;

const columns: Column<Decision>[] = [
  {
    header: "Site",
    cell: (d) => (
      <span>
        <span className="font-semibold">{d.site}</span> <span className="text-slate-600">{d.siteName}</span>
      </span>
    ),
  },
  { header: "Decision", cell: (d) => <Badge tone={TONES[d.status]}>{d.status}</Badge> },
  { header: "By", cell: (d) => d.decidedBy ?? <span className="text-slate-500">—</span> },
  { header: "On", cell: (d) => (d.decidedAt ? formatDateTime(d.decidedAt) : "—") },
];

/** Which governance revision the weights were trained under, and who at each site allowed it. */
export function ApprovalsSection({ approvals }: { approvals: ModelCardData["approvals"] }) {
  return (
    <Section title="Approvals">
      <p>
        Governance bundle revision {approvals.revisionNumber}, SHA-256{" "}
        <code className="text-xs break-all">{approvals.bundleHash}</code>.
      </p>
      {approvals.decisions.length ? (
        <DataTable label="Site approvals" columns={columns} rows={approvals.decisions} rowKey={(d) => d.site} />
      ) : (
        <p className="text-slate-600">No site has been asked to approve this revision.</p>
      )}
    </Section>
  );
}
