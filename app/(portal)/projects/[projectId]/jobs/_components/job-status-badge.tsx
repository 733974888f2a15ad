import { Badge } from "@/app/_components/ui/badge";
import type { JobStatus } from "./types";

const TONES = { queued: "neutral", running: "blue", completed: "green", failed: "red", cancelled: "amber" } as const;
const LABELS: Record<JobStatus, string> = {
  queued: "Queued",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return <Badge tone={TONES[status]}>{LABELS[status]}</Badge>;
}
