import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import Link from "next/link";

/** What the training and evaluation forms end with: why the job cannot start, errors, submit and cancel. */
export function JobFormFooter({
  projectId,
  blockedBy,
  alerts,
  isSending,
  submitLabel,
}: {
  projectId: string;
  blockedBy: string | null;
  alerts: string[];
  isSending: boolean;
  submitLabel: string;
}) {
  return (
    <>
      {blockedBy ? <Alert tone="warning">{blockedBy}</Alert> : null}
      {alerts.length ? <Alert>{alerts.join(" ")}</Alert> : null}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" disabled={isSending || blockedBy !== null}>
          {isSending ? "Starting…" : submitLabel}
        </Button>
        <Button asChild variant="secondary">
          <Link href={`/projects/${projectId}`}>Cancel</Link>
        </Button>
      </div>
    </>
  );
}
