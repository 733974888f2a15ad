"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Card } from "@/app/_components/ui/card";
import { TextField } from "@/app/_components/ui/text-field";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";

/** "New project" opens a short form; creating it goes straight to the project page. */
export function NewProjectForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [isOpen, setIsOpen] = useState(false);
  const create = useMutation(trpc.projects.create.mutationOptions());
  const errors = fieldErrorsOf(create.error);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const ethicsReference = String(data.get("ethicsReference") ?? "").trim();
    try {
      const project = await create.mutateAsync({
        title: String(data.get("title") ?? ""),
        purpose: String(data.get("purpose") ?? ""),
        ethicsReference: ethicsReference || undefined,
      });
      router.push(`/projects/${project.id}`);
    } catch {
      return; // Shown from `create.error`.
    }
  }

  if (!isOpen) return <Button onClick={() => setIsOpen(true)}>New project</Button>;
  return (
    <div
      className="fixed inset-0 z-40 flex items-start justify-center overflow-y-auto bg-slate-900/40 p-4 sm:items-center"
      role="presentation"
    >
      <div role="dialog" aria-modal="true" aria-labelledby="new-project-title" className="w-full max-w-lg">
        <Card>
          <h2 id="new-project-title" className="mb-3 text-lg font-semibold text-slate-900">
            New project
          </h2>
          <form onSubmit={onSubmit} noValidate className="space-y-3">
            {create.error && Object.keys(errors).length === 0 ? <Alert>{messageOf(create.error)}</Alert> : null}
            <TextField label="Title" name="title" autoComplete="off" autoFocus errors={errors.title} />
            <TextAreaField
              label="Purpose"
              name="purpose"
              rows={4}
              hint="A lay summary: what the project is for and who it helps, in plain English (at least 20 characters)."
              errors={errors.purpose}
            />
            <TextField
              label="Ethics reference"
              name="ethicsReference"
              autoComplete="off"
              hint="Optional, e.g. IRAS 123456 or the REC reference."
              errors={errors.ethicsReference}
            />
            <div className="flex flex-wrap justify-end gap-2 pt-1">
              <Button type="button" variant="secondary" onClick={() => setIsOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" disabled={create.isPending}>
                {create.isPending ? "Creating…" : "Create project"}
              </Button>
            </div>
          </form>
        </Card>
      </div>
    </div>
  );
}
