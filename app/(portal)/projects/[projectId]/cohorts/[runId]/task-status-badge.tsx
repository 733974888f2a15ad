import { Badge } from "@/app/_components/ui/badge";

const TONES: Record<string, "neutral" | "blue" | "green" | "red" | "amber"> = {
  queued: "neutral",
  leased: "blue",
  done: "green",
  failed: "red",
  expired: "amber",
  cancelled: "amber",
};
const LABELS: Record<string, string> = {
  queued: "Queued",
  leased: "Running",
  done: "Done",
  failed: "Failed",
  expired: "Expired",
  cancelled: "Cancelled",
};

export function TaskStatusBadge({ status }: { status: string }) {
  return <Badge tone={TONES[status] ?? "neutral"}>{LABELS[status] ?? status}</Badge>;
}
