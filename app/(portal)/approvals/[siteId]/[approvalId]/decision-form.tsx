"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useStepUp } from "@/app/_components/second-factor/step-up";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";

type Decision = "approved" | "declined";

/** Choose, comment, confirm: a decision is final for this revision, so it takes a deliberate second step. */
export function DecisionForm({
  siteId,
  approvalId,
  siteCode,
  revisionNumber,
}: {
  siteId: string;
  approvalId: string;
  siteCode: string;
  revisionNumber: number;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [decision, setDecision] = useState<Decision | null>(null);
  const [comment, setComment] = useState("");
  const decide = useMutation(trpc.approvals.decide.mutationOptions());
  const { withStepUp, dialog } = useStepUp();
  const errors = fieldErrorsOf(decide.error);
  const hasUnshownError = decide.error && !errors.comment;

  function choose(next: Decision) {
    decide.reset();
    setDecision(next);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!decision) return;
    try {
      await withStepUp(() =>
        decide.mutateAsync({ siteId, approvalId, decision, comment: comment.trim() || undefined }),
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
                disabled={decide.isPending}
              >
                {decide.isPending ? "Recording…" : "Confirm decision"}
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
