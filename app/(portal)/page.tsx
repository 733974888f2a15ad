import Link from "next/link";
import { redirect } from "next/navigation";
import { ROLE_LABELS } from "@/server/auth/permissions";
import { getViewer } from "@/server/auth/session";
import { navigationFor } from "../_components/navigation";
import { Card } from "@/app/_components/ui/card";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { PageHeader } from "@/app/_components/ui/page-header";

export default async function HomePage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  const places = navigationFor(viewer).filter((item) => item.href !== "/");
  return (
    <>
      <PageHeader
        title={`Welcome, ${viewer.name}`}
        description="FLIP trains models across NHS Trusts. Patient-level data never leaves a Trust."
      />
      <div className="grid gap-4 md:grid-cols-3">
        <Card title="Your roles">
          {viewer.grants.length === 0 ? (
            <p className="text-sm text-slate-600">You have no roles yet. Ask a platform admin to grant you one.</p>
          ) : (
            <ul className="space-y-2" aria-label="Your roles">
              {viewer.grants.map((g) => (
                <li key={g.id} className="text-sm">
                  <span className="font-medium">{ROLE_LABELS[g.role]}</span>
                  {g.siteCode ? (
                    <span className="text-slate-600">
                      {" "}
                      for {g.siteName} ({g.siteCode})
                    </span>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
        </Card>
        <div className="md:col-span-2">
          <Card title="Where you can go">
            {places.length === 0 ? (
              <EmptyState title="Nothing to open yet">
                Once an admin grants you a role, its pages appear here.
              </EmptyState>
            ) : (
              <ul className="grid gap-3 sm:grid-cols-2">
                {places.map((p) => (
                  <li key={p.href}>
                    <Link
                      href={p.href}
                      className="block rounded-md border border-slate-200 p-3 hover:border-nhs-blue hover:bg-sky-50"
                    >
                      <span className="font-medium text-nhs-blue">{p.label}</span>
                      <span className="mt-0.5 block text-sm text-slate-600">{p.description}</span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </div>
      </div>
    </>
  );
}
