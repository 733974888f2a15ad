import { formatDateTime } from "@/app/_components/time-format";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { Card } from "@/app/_components/ui/card";
import { formatFingerprint } from "@/protocol/webauthn/fingerprint";
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
        {request.decidedAt ? (
          <p className="text-sm text-slate-700">
            {request.keyFingerprint ? (
              <>
                Signed with the passkey{" "}
                <code className="font-mono break-all text-slate-900">{formatFingerprint(request.keyFingerprint)}</code>
              </>
            ) : (
              "Not signed with a passkey: sites that enrol their approvers' keys do not run work on it."
            )}
          </p>
        ) : null}
        {request.comment ? (
          <blockquote className="border-l-4 border-slate-300 pl-3 text-sm break-words whitespace-pre-line text-slate-800">
            {request.comment}
          </blockquote>
        ) : null}
        {request.status === "withdrawn" ? (
          <p className="text-sm text-slate-600">
            Nothing of this project runs at your site. A new decision below reinstates the approval or declines it.
          </p>
        ) : request.status !== "pending" ? (
          <p className="text-sm text-slate-600">
            Decisions are final for this revision, though an approval can be withdrawn from the project&apos;s page in
            your console. If the researchers change the bundle, the new revision comes back to you.
          </p>
        ) : null}
        {request.decisions.length > 1 ? (
          <div>
            <h3 className="text-sm font-semibold text-slate-900">Earlier decisions on this revision</h3>
            <ol className="mt-1 space-y-1 text-sm text-slate-700">
              {request.decisions.slice(0, -1).map((d) => (
                <li key={d.decidedAt.toISOString()}>
                  <span className="capitalize">{d.decision}</span> by {d.decidedBy ?? "a former approver"} on{" "}
                  <time dateTime={d.decidedAt.toISOString()}>{formatDateTime(d.decidedAt)}</time>
                  {d.comment ? <>: &ldquo;{d.comment}&rdquo;</> : null}
                </li>
              ))}
            </ol>
          </div>
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
