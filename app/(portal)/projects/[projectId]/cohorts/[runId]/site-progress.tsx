import { Card } from "@/app/_components/ui/card";
import type { SiteOutcome } from "../../../_components/types";
import { TaskStatusBadge } from "./task-status-badge";

/** While a run is in flight: how far each site has got, refreshed every 2 s. */
export function SiteProgress({ sites }: { sites: SiteOutcome[] }) {
  return (
    <Card title="Progress">
      <ul aria-label="Progress per site" className="space-y-3">
        {sites.map((s) => {
          const percent = s.status === "done" ? 100 : Math.round(Math.min(100, Math.max(0, s.progress)));
          return (
            <li key={s.siteId} className="space-y-1">
              <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
                <span className="font-semibold">{s.code}</span>
                <TaskStatusBadge status={s.status} />
              </div>
              <div
                role="progressbar"
                aria-label={`${s.code} progress`}
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={percent}
                className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
              >
                <div
                  className={`h-full rounded-full ${s.status === "failed" ? "bg-red-600" : "bg-nhs-blue"} transition-all`}
                  style={{ width: `${percent}%` }}
                />
              </div>
              <p className="text-xs text-slate-600">
                {s.failureMessage ??
                  s.progressMessage ??
                  (s.status === "queued" ? "Waiting for the site worker to pick this up" : `${percent}%`)}
              </p>
            </li>
          );
        })}
      </ul>
    </Card>
  );
}
