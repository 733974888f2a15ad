import { Badge } from "@/app/_components/ui/badge";
import type { SiteHealthReport, SiteStatus } from "./site-network-types";

const tones = { online: "green", degraded: "amber", offline: "red" } as const;
const dots = { online: "bg-green-600", degraded: "bg-amber-500", offline: "bg-red-600" } as const;
const labels = { online: "Online", degraded: "Degraded", offline: "Offline" } as const;

/** Why a site that is heard from is not healthy: the protocol error, else the failing self-checks. */
export function degradedReasonOf(health: Pick<SiteHealthReport, "protocolError" | "selfChecks"> | null): string | null {
  if (!health) return null;
  if (health.protocolError) return `Protocol mismatch: ${health.protocolError}`;
  const failing = health.selfChecks.filter((c) => !c.ok);
  if (failing.length === 0) return null;
  return `Failing self-check${failing.length > 1 ? "s" : ""}: ${failing.map((c) => (c.message ? `${c.name} (${c.message})` : c.name)).join(", ")}`;
}

/** The same reason in a few words, for a table cell; the badge's title holds the details. */
export function shortDegradedReasonOf(
  health: Pick<SiteHealthReport, "protocolError" | "selfChecks"> | null,
): string | null {
  if (!health) return null;
  if (health.protocolError) return "Protocol mismatch";
  const failing = health.selfChecks.filter((c) => !c.ok).map((c) => c.name);
  return failing.length ? `Failing: ${failing.join(", ")}` : null;
}

function titleOf(status: SiteStatus, health: SiteHealthReport | null): string {
  if (status === "online") return "Heard from in the last 30 s, every self-check passing";
  if (status === "degraded") return degradedReasonOf(health) ?? "Heard from recently but unwell";
  return health ? "No heartbeat in the last 30 s" : "No worker has connected yet";
}

/** Offline is red once a worker has been heard from (it went away), grey before it ever connected. */
export function SiteStatusBadge({
  status,
  health,
  testId,
}: {
  status: SiteStatus;
  health: SiteHealthReport | null;
  testId?: string;
}) {
  const isNeverSeen = status === "offline" && !health;
  return (
    <span data-testid={testId} data-status={status} title={titleOf(status, health)} className="inline-flex">
      <Badge tone={isNeverSeen ? "neutral" : tones[status]}>
        <span
          aria-hidden
          className={`mr-1.5 inline-block size-1.5 rounded-full ${isNeverSeen ? "bg-slate-400" : dots[status]}`}
        />
        {labels[status]}
      </Badge>
    </span>
  );
}
