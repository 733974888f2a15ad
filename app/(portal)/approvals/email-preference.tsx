"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert } from "@/app/_components/ui/alert";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

const MODES = [
  { value: "immediate", label: "Each notice as it happens" },
  { value: "daily_digest", label: "One daily digest" },
] as const;

/** How this approver hears of new requests and withdrawals by e-mail; the badge and pages show them either way. */
export function EmailPreference() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.notifications.settings.queryOptions());
  const save = useMutation(
    trpc.notifications.setEmailMode.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.notifications.settings.queryFilter()),
    }),
  );
  if (!settings.data) return null;
  return (
    <section aria-labelledby="email-preference" className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <fieldset>
        <legend id="email-preference" className="text-sm font-semibold text-slate-900">
          E-mail about new requests and withdrawals
        </legend>
        <p className="mt-1 text-sm text-slate-600">
          Sent to {settings.data.email}.
          {settings.data.isMailConfigured ? "" : " This portal has no mail server configured yet, so none is sent."}
        </p>
        <div className="mt-2 flex flex-col gap-2 sm:flex-row sm:gap-6">
          {MODES.map((mode) => (
            <label key={mode.value} className="flex items-center gap-2 text-sm text-slate-800">
              <input
                type="radio"
                name="email-mode"
                value={mode.value}
                checked={settings.data.emailMode === mode.value}
                disabled={save.isPending}
                onChange={() => save.mutate({ emailMode: mode.value })}
                className="size-4 accent-nhs-blue"
              />
              {mode.label}
            </label>
          ))}
        </div>
        {save.error ? <Alert>{messageOf(save.error)}</Alert> : null}
      </fieldset>
    </section>
  );
}
