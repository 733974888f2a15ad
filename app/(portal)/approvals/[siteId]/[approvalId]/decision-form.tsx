"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useStepUp } from "@/app/_components/second-factor/step-up";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { signDecision, SigningError } from "./sign-decision";

type Decision = "approved" | "declined";

/**
 * Choose, comment, confirm: a decision is final for this revision, so it takes a deliberate second
 * step. An approver with a passkey signs it (bundle hash, revision, project, site, decision, time),
 * which is what sites that enrol their approvers' keys check before they run anything.
 */
export function DecisionForm({
  siteId,
  approvalId,
  siteCode,
  revisionNumber,
  revision,
}: {
  siteId: string;
  approvalId: string;
  siteCode: string;
  revisionNumber: number;
  revision: { projectId: string; revisionId: string; bundleHash: string };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [decision, setDecision] = useState<Decision | null>(null);
  const [comment, setComment] = useState("");
  const decide = useMutation(trpc.approvals.decide.mutationOptions());
  const { withStepUp, dialog } = useStepUp();
  const keys = useQuery(trpc.approvals.myKeys.queryOptions());
  const [signError, setSignError] = useState<string | null>(null);
  const [isSigning, setIsSigning] = useState(false);
  const errors = fieldErrorsOf(decide.error);
  const hasUnshownError = decide.error && !errors.comment;
  const credentialIds = keys.data?.keys.map((k) => k.credentialId) ?? [];

  function choose(next: Decision) {
    decide.reset();
    setSignError(null);
    setDecision(next);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!decision) return;
    setSignError(null);
    let signature;
    if (credentialIds.length > 0) {
      const decidedAt = new Date().toISOString();
      setIsSigning(true);
      try {
        const statement = { ...revision, siteCode, decision, decidedAt };
        signature = { decidedAt, assertion: await signDecision(statement, credentialIds) };
      } catch (error) {
        setSignError(error instanceof SigningError ? error.message : "Your passkey did not sign; try again.");
        return;
      } finally {
        setIsSigning(false);
      }
    }
    try {
      // A step-up retry sends the same signature: the refused call never reached the decision.
      const signed = signature;
      await withStepUp(() =>
        decide.mutateAsync({ siteId, approvalId, decision, comment: comment.trim() || undefined, signature: signed }),
      );
    } catch {
      return; // Shown from `decide.error`, under the comment when it is about the comment.
    }
    await Promise.all([
      queryClient.invalidateQueries(trpc.approvals.pathFilter()),
      queryClient.invalidateQueries(trpc.projects.pathFilter()),
    ]);
    // The recorded decision replaces this form at the top of the page.
    window.scrollTo({ top: 0, behavior: "smooth" });
  }

  const choiceStyle = (value: Decision) =>
    decision === value
      ? value === "approved"
        ? "!border-green-700 !bg-green-50 ring-2 ring-green-700 ring-offset-2"
        : "!border-red-700 !bg-red-50 ring-2 ring-red-700 ring-offset-2"
      : "";

  return (
    <Card title="Your decision">
      {dialog}
      <form onSubmit={onSubmit} noValidate className="space-y-4">
        <p className="text-sm text-slate-600">
          You decide for {siteCode} only. The decision is final for revision {revisionNumber}: if the researchers change
          anything, a new revision comes back to you.
        </p>
        {hasUnshownError ? <Alert>{messageOf(decide.error)}</Alert> : null}
        {signError ? <Alert>{signError}</Alert> : null}
        {keys.data && credentialIds.length === 0 ? (
          <p className="text-sm text-amber-800">
            You have no passkey, so this decision will not be signed: sites that enrol their approvers&apos; keys run
            only signed approvals. Register a passkey on your account page first.
          </p>
        ) : null}
        <div role="group" aria-label="Decision" className="flex flex-wrap gap-3">
          <Button
            type="button"
            variant="secondary"
            aria-pressed={decision === "approved"}
            onClick={() => choose("approved")}
            className={`min-w-28 ${choiceStyle("approved")}`}
          >
            Approve
          </Button>
          <Button
            type="button"
            variant="secondary"
            aria-pressed={decision === "declined"}
            onClick={() => choose("declined")}
            className={`min-w-28 ${choiceStyle("declined")}`}
          >
            Decline
          </Button>
        </div>
        <TextAreaField
          label="Comment"
          name="comment"
          hint="Required when you decline: say what the researchers would need to change. Recorded in the audit log."
          value={comment}
          maxLength={2000}
          errors={errors.comment}
          onChange={(e) => setComment(e.target.value)}
        />
        {decision ? (
          <div
            className={`rounded-md border p-3 text-sm ${decision === "approved" ? "border-green-300 bg-green-50 text-green-900" : "border-red-300 bg-red-50 text-red-900"}`}
          >
            <p className="mb-3">
              {decision === "approved"
                ? `Approve revision ${revisionNumber} for ${siteCode}? Work may then be sent to your site within what this bundle allows.`
                : `Decline revision ${revisionNumber} for ${siteCode}? No work will be sent to your site for this revision.`}{" "}
              This cannot be undone.
            </p>
            <div className="flex flex-wrap gap-2">
              <Button
                type="submit"
                variant={decision === "approved" ? "primary" : "danger"}
                disabled={decide.isPending || isSigning || keys.isPending}
              >
                {isSigning
                  ? "Waiting for your passkey…"
                  : decide.isPending
                    ? "Recording…"
                    : credentialIds.length > 0
                      ? "Sign with passkey and confirm"
                      : "Confirm decision"}
              </Button>
              <Button type="button" variant="secondary" onClick={() => setDecision(null)} disabled={decide.isPending}>
                Cancel
              </Button>
            </div>
          </div>
        ) : null}
      </form>
    </Card>
  );
}
