import { Badge } from "@/app/_components/ui/badge";

type ApprovalState = "pending" | "approved" | "declined" | "withdrawn";

const STATES = {
  pending: { label: "Waiting for you", tone: "amber" },
  approved: { label: "Approved", tone: "green" },
  declined: { label: "Declined", tone: "red" },
  withdrawn: { label: "Withdrawn", tone: "red" },
} as const;

/** This site's state on a project's current revision, as its approvers see it. */
export function ApprovalStateBadge({ status }: { status: ApprovalState | null }) {
  const state = STATES[status ?? "pending"];
  return <Badge tone={state.tone}>{state.label}</Badge>;
}

const DECISIONS = {
  approved: { label: "Approved", tone: "green" },
  declined: { label: "Declined", tone: "red" },
  withdrawn: { label: "Withdrawn", tone: "red" },
} as const;

export function DecisionBadge({ decision }: { decision: keyof typeof DECISIONS }) {
  return <Badge tone={DECISIONS[decision].tone}>{DECISIONS[decision].label}</Badge>;
}
