"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";
import { Section } from "./card-sections";

function LimitationsForm({
  projectId,
  modelId,
  initial,
  onDone,
}: {
  projectId: string;
  modelId: string;
  initial: string;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [text, setText] = useState(initial);
  const update = useMutation(trpc.models.updateLimitations.mutationOptions());
  const errors = fieldErrorsOf(update.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    try {
      await update.mutateAsync({ projectId, modelId, limitations: text });
      await queryClient.invalidateQueries(trpc.models.pathFilter());
      onDone();
    } catch {
      return; // Shown from `update.error`.
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-3">
      <TextAreaField
        label="Limitations"
        name="card-limitations"
        rows={6}
        maxLength={4000}
        value={text}
        onChange={(e) => setText(e.target.value)}
        errors={errors.limitations}
        hint="Populations the model was not built for, known failure modes, caveats of the data. Saving is audited."
      />
      {update.error && !errors.limitations ? <Alert>{messageOf(update.error)}</Alert> : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save limitations"}
        </Button>
        <Button type="button" variant="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}

/** The one hand-written part of the card; the model's, so it is the same on every version's card. */
export function LimitationsSection({
  projectId,
  modelId,
  limitations,
  canWrite,
}: {
  projectId: string;
  modelId: string;
  limitations: string;
  canWrite: boolean;
}) {
  const [isEditing, setIsEditing] = useState(false);
  return (
    <Section title="Limitations">
      {isEditing ? (
        <LimitationsForm
          projectId={projectId}
          modelId={modelId}
          initial={limitations}
          onDone={() => setIsEditing(false)}
        />
      ) : (
        <>
          <p className="break-words whitespace-pre-line">
            {limitations || <span className="text-slate-600">None recorded by the researcher.</span>}
          </p>
          {canWrite ? (
            <Button type="button" variant="secondary" onClick={() => setIsEditing(true)}>
              Edit limitations
            </Button>
          ) : null}
        </>
      )}
    </Section>
  );
}
