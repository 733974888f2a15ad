"use client";

import { useQuery } from "@tanstack/react-query";
import { Alert } from "@/app/_components/ui/alert";
import { Card } from "@/app/_components/ui/card";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

/** Each site's differential-privacy spend on this project against its own budget, as the sites report it. */
export function PrivacyBudgets({ projectId }: { projectId: string }) {
  const trpc = useTRPC();
  const budgets = useQuery(trpc.privacy.budgets.queryOptions({ projectId }));
  return (
    <Card title="Privacy budget">
      {budgets.isPending ? (
        <Loading label="Loading privacy budgets…" />
      ) : budgets.isError ? (
        <Alert>{messageOf(budgets.error)}</Alert>
      ) : budgets.data.length === 0 ? (
        <EmptyState title="No site has spent privacy budget on this project">
          Sites report their ε here after training or counting with differential privacy.
        </EmptyState>
      ) : (
        <ul className="space-y-3">
          {budgets.data.map((site) => {
            const share = Math.min(100, (100 * site.epsilonSpent) / site.maxEpsilon);
            return (
              <li key={site.siteCode}>
                <div className="flex justify-between gap-2 text-sm">
                  <span className="font-medium text-slate-900">{site.siteCode}</span>
                  <span className="text-slate-700">
                    ε {site.epsilonSpent.toFixed(2)} of {site.maxEpsilon} spent · {site.remaining.toFixed(2)} left
                  </span>
                </div>
                <div
                  className="mt-1 h-2 rounded bg-slate-100"
                  role="meter"
                  aria-label={`${site.siteCode} privacy budget spent`}
                  aria-valuemin={0}
                  aria-valuemax={site.maxEpsilon}
                  aria-valuenow={site.epsilonSpent}
                >
                  <div
                    className={share >= 90 ? "h-2 rounded bg-red-600" : "h-2 rounded bg-blue-600"}
                    style={{ width: `${share}%` }}
                  />
                </div>
                <p className="mt-0.5 text-xs text-slate-500">
                  at δ = {site.delta}, training and DP cohort counts together; reported{" "}
                  {site.reportedWith.kind === "training"
                    ? `after training round ${site.reportedWith.round}`
                    : "with a DP cohort count"}
                </p>
              </li>
            );
          })}
        </ul>
      )}
    </Card>
  );
}
