"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import type { FieldErrors } from "@/protocol/field-errors";
import { splitServerErrors } from "./job-form-validation";

/**
 * The submit flow both job forms share: check on the client first, then send; the server's field
 * errors land at the fields the form shows, anything else in one alert; success opens the job page.
 */
export function useStartJob<T>(
  projectId: string,
  fieldKeys: readonly string[],
  send: (input: T) => Promise<{ id: string }>,
) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<FieldErrors>({});
  const [alerts, setAlerts] = useState<string[]>([]);
  const [isSending, setIsSending] = useState(false);

  async function submit(parsed: { data: T; errors: null } | { data: null; errors: FieldErrors }) {
    if (parsed.errors) {
      const { atFields, elsewhere } = splitServerErrors(parsed.errors, fieldKeys);
      setErrors(atFields);
      setAlerts(elsewhere);
      return;
    }
    setErrors({});
    setAlerts([]);
    setIsSending(true);
    try {
      const job = await send(parsed.data);
      await queryClient.invalidateQueries(trpc.jobs.list.pathFilter());
      router.push(`/projects/${projectId}/jobs/${job.id}`);
    } catch (error) {
      const { atFields, elsewhere } = splitServerErrors(fieldErrorsOf(error), fieldKeys);
      setErrors(atFields);
      // A refusal tied to a field is already shown there; repeating it on top would read as two problems.
      setAlerts(
        Object.keys(atFields).length && elsewhere.length === 0
          ? []
          : [messageOf(error), ...elsewhere.filter((m) => m !== messageOf(error))],
      );
      setIsSending(false);
    }
  }

  return { errors, alerts, isSending, submit };
}
