"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { Dialog, DialogClose, DialogContent, DialogTrigger } from "@/app/_components/ui/dialog";
import { TextAreaField } from "@/app/_components/ui/text-area-field";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { fieldErrorsOf, messageOf } from "@/app/_trpc/errors";

/** "New project" opens a short form in a dialog; creating it goes straight to the project page. */
export function NewProjectForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [isOpen, setIsOpen] = useState(false);
  const create = useMutation(trpc.projects.create.mutationOptions());
  const errors = fieldErrorsOf(create.error);

  function onOpenChange(open: boolean) {
    if (!open) create.reset();
    setIsOpen(open);
  }

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

  return (
    <Dialog open={isOpen} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button>New project</Button>
      </DialogTrigger>
      <DialogContent title="New project">
        <form onSubmit={onSubmit} noValidate className="space-y-3">
          {create.error && Object.keys(errors).length === 0 ? <Alert>{messageOf(create.error)}</Alert> : null}
          <TextField label="Title" name="title" autoComplete="off" errors={errors.title} />
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
            <DialogClose asChild>
              <Button type="button" variant="secondary">
                Cancel
              </Button>
            </DialogClose>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create project"}
            </Button>
          </div>
        </form>
      </DialogContent>
    </Dialog>
  );
}
