import { Badge } from "@/app/_components/ui/badge";
import type { ProjectStatus, SiteApproval } from "./types";

const PROJECT_TONES = { draft: "neutral", submitted: "blue", active: "green", closed: "amber" } as const;
const PROJECT_LABELS: Record<ProjectStatus, string> = {
  draft: "Draft",
  submitted: "Submitted",
  active: "Active",
  closed: "Closed",
};

export function ProjectStatusBadge({ status }: { status: ProjectStatus }) {
  return <Badge tone={PROJECT_TONES[status]}>{PROJECT_LABELS[status]}</Badge>;
}

const APPROVAL_TONES = { approved: "green", declined: "red", pending: "amber", withdrawn: "red" } as const;
const APPROVAL_LABELS = {
  approved: "Approved",
  declined: "Declined",
  pending: "Pending",
  withdrawn: "Withdrawn",
} as const;

/** A site asked before the current revision existed has no row yet; it is waiting like a pending one. */
export function ApprovalStatusBadge({ status }: { status: SiteApproval["status"] }) {
  const state = status ?? "pending";
  return <Badge tone={APPROVAL_TONES[state]}>{APPROVAL_LABELS[state]}</Badge>;
}
