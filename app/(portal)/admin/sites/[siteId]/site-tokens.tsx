"use client";

import { useStepUp } from "@/app/_components/second-factor/step-up";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { OneTimeSecretPanel } from "@/app/_components/one-time-secret-panel";
import { useNow } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { ConfirmDialog } from "@/app/_components/ui/dialog";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import type { SiteTokenRow } from "../site-network-types";
import { isTokenActive, TokenList } from "./token-list";

export function SiteTokens({ siteId, siteCode, tokens }: { siteId: string; siteCode: string; tokens: SiteTokenRow[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const now = useNow(5_000);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.siteNetwork.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  // gcTime 0: the result (which holds the token) leaves the mutation cache as soon as we reset.
  const issue = useMutation(trpc.siteNetwork.issueToken.mutationOptions({ gcTime: 0 }));
  const revoke = useMutation(trpc.siteNetwork.revokeTokens.mutationOptions({ onSuccess: refresh }));
  const { withStepUp, dialog } = useStepUp();
  const [secret, setSecret] = useState<string | null>(null);
  const [isConfirmingRevoke, setIsConfirmingRevoke] = useState(false);
  const [revokedCount, setRevokedCount] = useState<number | null>(null);
  const activeCount = tokens.filter((t) => isTokenActive(t, now)).length;
  const isRotation = activeCount > 0;
  const errors = fieldErrorsOf(issue.error);

  async function onIssue(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const grace = String(new FormData(event.currentTarget).get("graceSeconds") ?? "").trim();
    setRevokedCount(null);
    setIsConfirmingRevoke(false);
    revoke.reset();
    try {
      const result = await withStepUp(() =>
        issue.mutateAsync({ siteId, graceSeconds: grace === "" ? 0 : Number(grace) }),
      );
      setSecret(result.token);
    } catch {
      return; // Shown from `issue.error`, beside the grace field when it names it.
    }
    issue.reset();
    await refresh();
  }

  async function confirmRevoke() {
    setIsConfirmingRevoke(false);
    setSecret(null);
    issue.reset();
    try {
      const result = await withStepUp(() => revoke.mutateAsync({ siteId }));
      setRevokedCount(result.revoked);
    } catch {
      return; // Shown from `revoke.error`.
    }
  }

  return (
    <Card title="Worker tokens">
      {dialog}
      <div className="space-y-4">
        {secret ? (
          <OneTimeSecretPanel
            title={`New token for ${siteCode}`}
            noun="token"
            secret={secret}
            testId="site-token"
            onDismiss={() => setSecret(null)}
          >
            Give it to the site through a secure channel; the site starts its worker with it as{" "}
            <code className="font-mono">FLIP_SITE_TOKEN</code>. The hub keeps only a hash.
          </OneTimeSecretPanel>
        ) : null}
        {issue.error && !errors.graceSeconds ? <Alert>{messageOf(issue.error)}</Alert> : null}
        {revoke.error ? <Alert>{messageOf(revoke.error)}</Alert> : null}
        {revokedCount !== null ? (
          <Alert tone="success">
            Revoked {revokedCount === 1 ? "1 token" : `${revokedCount} tokens`}. The worker is refused from its next
            call.
          </Alert>
        ) : null}

        <form onSubmit={onIssue} noValidate className="space-y-3">
          {isRotation ? (
            <TextField
              label="Grace period"
              name="graceSeconds"
              type="number"
              inputMode="numeric"
              min={0}
              step={1}
              defaultValue={0}
              hint="Seconds: how long the old token keeps working"
              errors={errors.graceSeconds}
            />
          ) : null}
          <Button type="submit" disabled={issue.isPending}>
            {issue.isPending ? "Issuing…" : "Issue new token"}
          </Button>
          {isRotation ? (
            <p className="text-xs text-slate-500">
              Issuing a new token rotates: the current one stops after the grace period.
            </p>
          ) : null}
        </form>

        {tokens.length === 0 ? (
          <EmptyState title="No tokens issued">Issue a token, then start the site worker with it.</EmptyState>
        ) : (
          <TokenList tokens={tokens} now={now} />
        )}

        {activeCount > 0 ? (
          <ConfirmDialog
            open={isConfirmingRevoke}
            onOpenChange={setIsConfirmingRevoke}
            trigger={
              <Button type="button" variant="secondary" className="text-red-800" disabled={revoke.isPending}>
                {revoke.isPending ? "Revoking…" : "Revoke all tokens"}
              </Button>
            }
            title={activeCount === 1 ? "Revoke the active token?" : `Revoke all ${activeCount} active tokens?`}
            description={`The worker at ${siteCode} is refused from its next call until it is given a new token.`}
            confirmLabel="Yes, revoke them"
            cancelLabel="Keep tokens"
            onConfirm={confirmRevoke}
          />
        ) : null}
      </div>
    </Card>
  );
}
