import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { LinkButton } from "../_components/link-button";

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
        <LinkButton href={`/projects/${projectId}`} variant="secondary">
          Cancel
        </LinkButton>
      </div>
    </>
  );
}
