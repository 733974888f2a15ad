"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Dialog, DialogClose, DialogContent, DialogTrigger } from "@/app/_components/ui/dialog";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { ZWithdrawInput } from "@/server/approvals/approvals.schema";
import { fieldErrorsFromIssues } from "@/protocol/field-errors";

/** Suspends the site's approval after asking why: the project's tasks here stop and only a new decision reinstates it. */
export function WithdrawApproval({
  siteId,
  approvalId,
  siteCode,
  projectTitle,
}: {
  siteId: string;
  approvalId: string;
  siteCode: string;
  projectTitle: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [localErrors, setLocalErrors] = useState<Record<string, string[]>>({});
  const withdraw = useMutation(trpc.approvals.withdraw.mutationOptions());
  const errors = { ...fieldErrorsOf(withdraw.error), ...localErrors };

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const input = { siteId, approvalId, reason };
    const checked = ZWithdrawInput.safeParse(input);
    setLocalErrors(checked.success ? {} : fieldErrorsFromIssues(checked.error.issues));
    if (!checked.success) return;
    try {
      await withdraw.mutateAsync(checked.data);
    } catch {
      return; // Shown from `withdraw.error`.
    }
    setOpen(false);
    setReason("");
    await Promise.all([
      queryClient.invalidateQueries(trpc.approvals.pathFilter()),
      queryClient.invalidateQueries(trpc.projects.pathFilter()),
    ]);
  }

  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        withdraw.reset();
        setLocalErrors({});
      }}
    >
      <DialogTrigger asChild>
        <Button variant="danger">Withdraw approval</Button>
      </DialogTrigger>
      <DialogContent
        title={`Withdraw ${siteCode}'s approval?`}
        description={`"${projectTitle}" stops at once at ${siteCode}: its queued and running tasks here are cancelled and no new ones are sent. Only a new decision by an approver reinstates it.`}
      >
        <form onSubmit={onSubmit} noValidate className="space-y-3">
          {withdraw.error && !errors.reason ? <Alert>{messageOf(withdraw.error)}</Alert> : null}
          <TextAreaField
            label="Reason"
            name="reason"
            hint="The researchers and your site's other approvers see it. Recorded in the audit log."
            value={reason}
            maxLength={2000}
            errors={errors.reason}
            onChange={(e) => setReason(e.target.value)}
          />
          <div className="flex flex-wrap justify-end gap-2">
            <DialogClose asChild>
              <Button type="button" variant="secondary">
                Cancel
              </Button>
            </DialogClose>
            <Button type="submit" variant="danger" disabled={withdraw.isPending}>
              {withdraw.isPending ? "Withdrawing…" : "Withdraw and stop tasks"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
