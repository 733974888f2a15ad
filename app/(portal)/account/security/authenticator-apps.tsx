"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { RecoveryCodesPanel } from "@/app/_components/second-factor/recovery-codes-panel";
import { useStepUp } from "@/app/_components/second-factor/step-up";
import { TotpEnrolment } from "@/app/_components/second-factor/totp-enrolment";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/** Authenticator apps on the account: add one, remove one (with a step-up), and the recovery codes. */
export function AuthenticatorApps() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const factors = useQuery(trpc.factors.list.queryOptions());
  const remove = useMutation(trpc.factors.remove.mutationOptions());
  const regenerate = useMutation(trpc.factors.regenerateRecoveryCodes.mutationOptions({ gcTime: 0 }));
  const { withStepUp, dialog } = useStepUp();
  const [isAdding, setIsAdding] = useState(false);
  const [newCodes, setNewCodes] = useState<string[] | null>(null);
  const refresh = () => queryClient.invalidateQueries(trpc.factors.pathFilter());
  const error = remove.error ?? regenerate.error;

  async function removeFactor(factorId: string) {
    regenerate.reset();
    try {
      await withStepUp(() => remove.mutateAsync({ factorId }));
    } catch {
      return; // Shown from `remove.error`.
    }
    await refresh();
  }

  async function replaceCodes() {
    remove.reset();
    try {
      setNewCodes((await withStepUp(() => regenerate.mutateAsync())).recoveryCodes);
    } catch {
      return; // Shown from `regenerate.error`.
    }
    await refresh();
  }

  if (!factors.data) return <Loading label="Loading your second factors…" />;
  const apps = factors.data.factors.filter((f) => f.kind === "totp");
  return (
    <Card title="Authenticator apps">
      {dialog}
      <div className="space-y-4">
        {factors.data.isRequired ? (
          <p className="text-sm text-slate-600">Your role needs a second factor, so your last one cannot be removed.</p>
        ) : null}
        {error ? <Alert>{messageOf(error)}</Alert> : null}
        {apps.length ? (
          <ul aria-label="Authenticator apps" className="divide-y divide-slate-200 rounded-md border border-slate-200">
            {apps.map((factor) => (
              <li key={factor.id} className="flex flex-wrap items-center justify-between gap-2 px-3 py-2 text-sm">
                <span>
                  <span className="font-medium">{factor.label}</span>
                  <span className="block text-xs text-slate-500">
                    Last used <RelativeTime date={factor.lastUsedAt} />
                  </span>
                </span>
                <Button
                  type="button"
                  variant="secondary"
                  disabled={remove.isPending}
                  onClick={() => void removeFactor(factor.id)}
                  aria-label={`Remove ${factor.label}`}
                >
                  Remove
                </Button>
              </li>
            ))}
          </ul>
        ) : (
          <EmptyState title="No authenticator app yet">
            Add one to protect your account with a code from your phone.
          </EmptyState>
        )}
        {isAdding ? (
          <TotpEnrolment
            withStepUp={withStepUp}
            onDone={() => {
              setIsAdding(false);
              void refresh();
            }}
          />
        ) : (
          <Button type="button" variant="secondary" onClick={() => setIsAdding(true)}>
            Add an authenticator app
          </Button>
        )}
        <div className="border-t border-slate-200 pt-4 text-sm">
          <h3 className="font-semibold">Recovery codes</h3>
          <p className="mt-1 text-slate-600">
            {factors.data.recoveryCodesLeft} unused. Each signs you in once when your phone is not at hand.
          </p>
          {newCodes ? (
            <div className="mt-3">
              <RecoveryCodesPanel codes={newCodes} onDone={() => setNewCodes(null)} />
            </div>
          ) : factors.data.factors.length ? (
            <Button
              type="button"
              variant="secondary"
              className="mt-2"
              disabled={regenerate.isPending}
              onClick={() => void replaceCodes()}
            >
              Make new recovery codes
            </Button>
          ) : null}
        </div>
      </div>
    </Card>
  );
}
