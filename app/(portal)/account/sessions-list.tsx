"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { RelativeTime } from "@/app/_components/relative-time";
import { Alert } from "@/app/_components/ui/alert";
import { Badge } from "@/app/_components/ui/badge";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { ConfirmDialog } from "@/app/_components/ui/dialog";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import type { RouterOutput } from "@/app/_trpc/types";
import { describeBrowser } from "./describe-browser";

type Session = RouterOutput["account"]["sessions"][number];

const METHOD_LABELS: Record<Session["method"], string> = {
  password: "Password",
  sso: "Single sign-on",
  passkey: "Passkey",
};

const ENDED_LABELS: Record<NonNullable<Session["endedReason"]>, string> = {
  signed_out: "Signed out",
  signed_out_elsewhere: "Signed out from another browser",
  idle_timeout: "Timed out (idle)",
  expired: "Reached its time limit",
  password_changed: "Password changed",
  account_disabled: "Account disabled",
  factors_reset: "Second factors reset",
};

/** Where the viewer is signed in, with a way out of each browser or all of them. */
export function SessionsList({ idleMinutes, lifetimeHours }: { idleMinutes: number; lifetimeHours: number }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const sessions = useQuery(trpc.account.sessions.queryOptions());
  const refresh = () => queryClient.invalidateQueries(trpc.account.sessions.queryFilter());
  const endSession = useMutation(trpc.account.endSession.mutationOptions({ onSuccess: refresh }));
  const everywhere = useMutation(
    trpc.account.signOutEverywhere.mutationOptions({ onSuccess: () => signOut({ callbackUrl: "/signin" }) }),
  );
  const [isConfirming, setIsConfirming] = useState(false);
  const error = endSession.error ?? everywhere.error ?? sessions.error;
  const live = sessions.data?.filter((s) => !s.endedAt) ?? [];
  const ended = sessions.data?.filter((s) => s.endedAt) ?? [];

  const columns: Column<Session>[] = [
    {
      header: "Browser",
      cell: (s) => (
        <span className="flex flex-wrap items-center gap-2">
          {describeBrowser(s.userAgent)}
          {s.current ? <Badge tone="blue">This browser</Badge> : null}
        </span>
      ),
    },
    { header: "Signed in with", cell: (s) => METHOD_LABELS[s.method] },
    { header: "From", cell: (s) => <span className="tabular-nums">{s.ipAddress ?? "unknown"}</span> },
    { header: "Signed in", cell: (s) => <RelativeTime date={s.createdAt} /> },
    {
      header: "Activity",
      cell: (s) => (s.endedAt ? ENDED_LABELS[s.endedReason ?? "signed_out"] : <RelativeTime date={s.lastSeenAt} />),
    },
    {
      header: "",
      cell: (s) =>
        s.endedAt ? null : s.current ? (
          <Button variant="secondary" onClick={() => void signOut({ callbackUrl: "/signin" })}>
            Sign out
          </Button>
        ) : (
          <Button
            variant="secondary"
            disabled={endSession.isPending}
            onClick={() => endSession.mutate({ sessionId: s.id })}
            aria-label={`Sign out ${describeBrowser(s.userAgent)} signed in from ${s.ipAddress ?? "an unknown address"}`}
          >
            Sign out
          </Button>
        ),
    },
  ];

  return (
    <Card
      title="Where you're signed in"
      actions={
        <ConfirmDialog
          open={isConfirming}
          onOpenChange={setIsConfirming}
          trigger={
            <Button variant="danger" disabled={everywhere.isPending || live.length === 0}>
              Sign out everywhere
            </Button>
          }
          title="Sign out everywhere?"
          description="Every browser signed in to your account is signed out, this one included. You will need to sign in again."
          confirmLabel="Sign out everywhere"
          onConfirm={() => {
            setIsConfirming(false);
            everywhere.mutate();
          }}
        />
      }
    >
      <div className="space-y-4">
        {error ? <Alert>{messageOf(error)}</Alert> : null}
        <p className="text-sm text-slate-600">
          A session ends after {idleMinutes} minutes without use, and {lifetimeHours} hours after sign-in however busy.
          If you don&apos;t recognise a browser, sign it out and change your password.
        </p>
        {sessions.isPending ? (
          <Loading label="Loading your sessions…" />
        ) : live.length === 0 ? (
          <EmptyState title="No live sessions" />
        ) : (
          <DataTable label="Signed-in sessions" columns={columns} rows={live} rowKey={(s) => s.id} />
        )}
        {ended.length ? (
          <details className="text-sm">
            <summary className="cursor-pointer font-medium text-slate-700">Ended sessions ({ended.length})</summary>
            <div className="mt-3">
              <DataTable label="Ended sessions" columns={columns} rows={ended} rowKey={(s) => s.id} />
            </div>
          </details>
        ) : null}
      </div>
    </Card>
  );
}
