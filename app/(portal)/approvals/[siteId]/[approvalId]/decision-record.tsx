import { formatDateTime } from "@/app/_components/time-format";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { Card } from "@/app/_components/ui/card";
import type { ApprovalRequestData } from "./request-types";

const STATUS = {
  approved: { label: "Approved", tone: "green" },
  declined: { label: "Declined", tone: "red" },
  pending: { label: "Not decided", tone: "amber" },
  withdrawn: { label: "Withdrawn", tone: "red" },
} as const;

/** A request that can no longer be decided: already decided here, or overtaken by a newer revision. */
export function DecisionRecord({ request }: { request: ApprovalRequestData }) {
  const status =
    request.status === "pending" && !request.isCurrent
      ? { label: "Superseded", tone: "neutral" as const }
      : STATUS[request.status];
  return (
    <Card title="Decision">
      <div className="space-y-3">
        <p className="flex flex-wrap items-center gap-2 text-sm">
          <Badge tone={status.tone}>{status.label}</Badge>
          {request.decidedAt ? (
            <span className="text-slate-700">
              by {request.decidedBy ?? "a former approver"} on{" "}
              <time dateTime={request.decidedAt.toISOString()}>{formatDateTime(request.decidedAt)}</time>
            </span>
          ) : null}
        </p>
        {request.comment ? (
          <blockquote className="border-l-4 border-slate-300 pl-3 text-sm break-words whitespace-pre-line text-slate-800">
            {request.comment}
          </blockquote>
        ) : null}
        {request.status !== "pending" ? (
          <p className="text-sm text-slate-600">
            Decisions are final for this revision. If the researchers change the bundle, the new revision comes back to
            you.
          </p>
        ) : null}
        {!request.isCurrent ? (
          <Alert tone="warning">
            This revision has been superseded: the researchers changed the project since.{" "}
            {request.status === "pending"
              ? "It can no longer be decided; look for the newer revision in your inbox."
              : "Look for the newer revision in your inbox."}
          </Alert>
        ) : null}
      </div>
    </Card>
  );
}
