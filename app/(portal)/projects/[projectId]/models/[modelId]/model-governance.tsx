import Link from "next/link";
import { Alert } from "@/app/_components/ui/alert";
import { listInWords } from "../_components/format";
import type { ModelDetail } from "../_components/types";

/** Whether the sites have agreed to what this model learns from and predicts, and what is still needed. */
export function ModelGovernance({
  projectId,
  governance,
}: {
  projectId: string;
  governance: ModelDetail["governance"];
}) {
  const { revision, listed, approvedAt, waitingFor } = governance;
  const bundleLink = (
    <Link href={`/projects/${projectId}/bundle`} className="font-medium underline">
      revision {revision}
    </Link>
  );
  if (!listed)
    return (
      <Alert tone="warning">
        The governance bundle ({bundleLink}) does not list what this model learns from and predicts, so it cannot train
        or be evaluated. Upload a new version below to add it; the sites then approve the new revision.
      </Alert>
    );
  if (waitingFor.length)
    return (
      <Alert tone="warning">
        Sites approve what a model learns from and predicts: {bundleLink} lists this model and needs approval by{" "}
        {listInWords(waitingFor)} before it can train there.
        {approvedAt.length ? ` ${listInWords(approvedAt)} approved it.` : ""}
      </Alert>
    );
  if (approvedAt.length === 0)
    return (
      <Alert tone="info">
        The governance bundle ({bundleLink}) lists this model; sites approve it when you submit the project.
      </Alert>
    );
  return (
    <Alert tone="success">
      Approved at {listInWords(approvedAt)} ({bundleLink}): the sites agreed to what this model learns from and
      predicts.
    </Alert>
  );
}
