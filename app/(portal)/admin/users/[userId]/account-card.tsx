"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { ConfirmDialog } from "@/app/_components/ui/dialog";
import { useStepUp } from "@/app/_components/second-factor/step-up";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { UserStatusBadge } from "../user-badges";
import { TemporaryPasswordPanel } from "../temporary-password-panel";

type AccountUser = {
  id: string;
  email: string;
  name: string;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: Date;
  secondFactors: number;
};

export function AccountCard({ user }: { user: AccountUser }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.users.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: refresh }));
  // gcTime 0: the result (which holds the password) leaves the mutation cache as soon as we reset.
  const resetPassword = useMutation(trpc.users.resetPassword.mutationOptions({ gcTime: 0 }));
  const resetFactors = useMutation(trpc.users.resetFactors.mutationOptions());
  const { withStepUp, dialog } = useStepUp();
  const [isConfirmingReset, setIsConfirmingReset] = useState(false);
  const [isConfirmingFactorReset, setIsConfirmingFactorReset] = useState(false);
  const [factorResetNote, setFactorResetNote] = useState<string | null>(null);
  const [temporaryPassword, setTemporaryPassword] = useState<string | null>(null);
  const error = setDisabled.error ?? resetPassword.error ?? resetFactors.error;

  async function confirmFactorReset() {
    setIsConfirmingFactorReset(false);
    setFactorResetNote(null);
    try {
      const result = await withStepUp(() => resetFactors.mutateAsync({ userId: user.id }));
      setFactorResetNote(
        `Second factors reset: ${result.factorsRemoved} removed, ${result.sessionsEnded} ${result.sessionsEnded === 1 ? "session" : "sessions"} ended. ${user.name} sets up a new one at next sign-in.`,
      );
    } catch {
      return; // Shown from `resetFactors.error`.
    }
    await refresh();
  }

  async function confirmReset() {
    setIsConfirmingReset(false);
    setDisabled.reset();
    try {
      const result = await resetPassword.mutateAsync({ userId: user.id });
      setTemporaryPassword(result.temporaryPassword);
    } catch {
      return; // Shown from `resetPassword.error`.
    }
    resetPassword.reset();
    await refresh();
  }

  function toggleDisabled() {
    resetPassword.reset();
    setDisabled.mutate({ userId: user.id, disabled: !user.disabled });
  }

  return (
    <Card title="Account">
      {dialog}
      <div className="space-y-4">
        {factorResetNote ? <p role="status">{factorResetNote}</p> : null}
        {error ? <Alert>{messageOf(error)}</Alert> : null}
        {temporaryPassword ? (
          <TemporaryPasswordPanel
            title="Password reset"
            email={user.email}
            password={temporaryPassword}
            onDismiss={() => setTemporaryPassword(null)}
          />
        ) : null}
        <dl className="flex flex-wrap gap-x-12 gap-y-3 text-sm">
          <div>
            <dt className="text-slate-500">Status</dt>
            <dd className="mt-1">
              <UserStatusBadge user={user} />
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Second factor</dt>
            <dd className="mt-1">
              {user.secondFactors
                ? `${user.secondFactors} set up`
                : "None yet: set up at next sign-in if the role needs one"}
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Created</dt>
            <dd className="mt-1">
              {user.createdAt.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" })}
            </dd>
          </div>
        </dl>
        <div className="flex flex-wrap gap-2">
          <ConfirmDialog
            open={isConfirmingReset}
            onOpenChange={setIsConfirmingReset}
            trigger={
              <Button variant="secondary" disabled={resetPassword.isPending}>
                {resetPassword.isPending ? "Resetting…" : "Reset password"}
              </Button>
            }
            title={`Reset the password for ${user.name}?`}
            description="Their current password stops working and they are signed out everywhere."
            confirmLabel="Confirm reset"
            onConfirm={confirmReset}
          />
          <ConfirmDialog
            open={isConfirmingFactorReset}
            onOpenChange={setIsConfirmingFactorReset}
            trigger={
              <Button variant="secondary" disabled={resetFactors.isPending}>
                {resetFactors.isPending ? "Resetting…" : "Reset second factors"}
              </Button>
            }
            title={`Reset the second factors of ${user.name}?`}
            description="For a lost phone: their authenticator apps, passkeys and recovery codes stop working, they are signed out everywhere, and they set up a new second factor when they next sign in."
            confirmLabel="Confirm factor reset"
            onConfirm={() => void confirmFactorReset()}
          />
          <Button
            variant={user.disabled ? "primary" : "danger"}
            onClick={toggleDisabled}
            disabled={setDisabled.isPending}
          >
            {user.disabled ? "Enable" : "Disable"}
          </Button>
        </div>
        <p className="text-xs text-slate-500">
          A disabled user cannot sign in and their open sessions stop working; their roles are kept.
        </p>
      </div>
    </Card>
  );
}
