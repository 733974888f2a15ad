import { Alert } from "@/app/_components/ui/alert";
import { Button } from "@/app/_components/ui/button";
import { modelCardHref, registryHref } from "../_components/job-format";
import Link from "next/link";
import type { JobDetail } from "../_components/types";

/** How the job ended: the version it produced (or evaluated) with its card, or why it stopped. */
export function JobOutcome({ projectId, detail }: { projectId: string; detail: JobDetail }) {
  const { job, rounds } = detail;
  if (job.status === "failed") return <Alert>The job failed: {job.error ?? "no reason was recorded."}</Alert>;
  if (job.status === "cancelled")
    return (
      <Alert tone="warning">
        {job.error ?? "The job was cancelled."} Versions written by finished rounds are kept in the registry.
      </Alert>
    );
  if (job.status !== "completed") return null;

  const isTraining = job.kind === "train";
  const versionId = isTraining ? job.latestVersionId : job.versionId;
  const versionNumber = isTraining ? rounds.at(-1)?.resultVersion : job.startVersion;
  return (
    <Alert tone="success">
      <span className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between">
        <span>
          {isTraining
            ? `Training finished: v${versionNumber ?? "?"} is the new candidate version.`
            : `Evaluation of v${versionNumber} finished; its metrics are on the model card.`}
        </span>
        <span className="flex flex-wrap gap-2">
          {versionId ? (
            <Button asChild>
              <Link href={modelCardHref(projectId, job.modelId, versionId)}>
                Model card for v{versionNumber ?? "?"}
              </Link>
            </Button>
          ) : null}
          <Button asChild variant="secondary">
            <Link href={registryHref(projectId, job.modelId)}>Model registry</Link>
          </Button>
        </span>
      </span>
    </Alert>
  );
}
