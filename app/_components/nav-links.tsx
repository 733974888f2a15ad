"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useTRPC } from "@/app/_trpc/client";

const POLL_MS = 15_000;

/** Which badge counts this viewer may see; the server shell decides from their roles. */
export type NavBadgeFlags = { newDecisions: boolean; pendingApprovals: boolean };

function useBadgeCounts(flags: NavBadgeFlags): Record<string, { count: number; noun: string }> {
  const trpc = useTRPC();
  const decisions = useQuery({
    ...trpc.projects.newDecisions.queryOptions(),
    enabled: flags.newDecisions,
    refetchInterval: POLL_MS,
  });
  const pending = useQuery({
    ...trpc.approvals.pendingCount.queryOptions(),
    enabled: flags.pendingApprovals,
    refetchInterval: POLL_MS,
  });
  return {
    "/projects": { count: flags.newDecisions ? (decisions.data ?? 0) : 0, noun: "new decision" },
    "/approvals": { count: flags.pendingApprovals ? (pending.data ?? 0) : 0, noun: "pending" },
  };
}

function badgeText(count: number, noun: string): string {
  return noun === "pending" ? `${count} pending` : `${count} ${noun}${count === 1 ? "" : "s"}`;
}

export function NavLinks({ items, badges }: { items: { href: string; label: string }[]; badges: NavBadgeFlags }) {
  const pathname = usePathname();
  const counts = useBadgeCounts(badges);
  const isCurrent = (href: string) => (href === "/" ? pathname === "/" : pathname.startsWith(href));
  return (
    <nav aria-label="Main" className="bg-nhs-dark-blue">
      <ul className="mx-auto flex max-w-6xl gap-1 overflow-x-auto px-2 text-sm">
        {items.map((item) => {
          const badge = counts[item.href];
          const hasBadge = !!badge && badge.count > 0;
          return (
            <li key={item.href}>
              <Link
                href={item.href}
                aria-current={isCurrent(item.href) ? "page" : undefined}
                aria-label={hasBadge ? `${item.label}, ${badgeText(badge.count, badge.noun)}` : undefined}
                className={`flex items-center gap-1.5 px-3 py-2.5 whitespace-nowrap ${isCurrent(item.href) ? "border-b-2 border-white font-semibold" : "text-sky-100 hover:text-white"}`}
              >
                {item.label}
                {hasBadge ? (
                  <span
                    aria-hidden
                    className="inline-flex min-w-5 items-center justify-center rounded-full bg-amber-400 px-1.5 text-xs leading-5 font-bold text-slate-900 tabular-nums"
                  >
                    {badge.count > 99 ? "99+" : badge.count}
                  </span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
