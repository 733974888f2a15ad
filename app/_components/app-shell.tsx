import Link from "next/link";
import type { ReactNode } from "react";
import { hasAccess, ROLE_LABELS, type Viewer } from "@/server/auth/permissions";
import { navigationFor } from "./navigation";
import { NavLinks } from "./nav-links";
import { SignOutButton } from "./sign-out-button";

export function roleSummary(viewer: Viewer): string {
  return (
    viewer.grants
      .map((g) => (g.siteCode ? `${ROLE_LABELS[g.role]} (${g.siteCode})` : ROLE_LABELS[g.role]))
      .join(", ") || "No roles yet"
  );
}

export function AppShell({ viewer, children }: { viewer: Viewer; children: ReactNode }) {
  const items = navigationFor(viewer).map(({ href, label }) => ({ href, label }));
  const badges = {
    newDecisions: hasAccess(viewer, "projects:create"),
    pendingApprovals: hasAccess(viewer, "approvals:read"),
  };
  return (
    <div className="flex min-h-screen flex-col">
      <header className="bg-nhs-blue text-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/" className="text-lg font-bold tracking-tight">
            FLIP Portal
          </Link>
          <div className="flex items-center gap-3 text-sm">
            <Link href="/account" className="text-right hover:underline" aria-label={`Your account: ${viewer.name}`}>
              <span className="block font-medium">
                <span className="sm:hidden">Account</span>
                <span className="hidden sm:inline">{viewer.name}</span>
              </span>
              <span className="hidden text-xs text-sky-100 sm:block">{roleSummary(viewer)}</span>
            </Link>
            <SignOutButton />
          </div>
        </div>
        <NavLinks items={items} badges={badges} />
      </header>
      <main className="mx-auto w-full max-w-6xl flex-1 px-4 py-6">{children}</main>
    </div>
  );
}
