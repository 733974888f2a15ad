import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { roleSummary } from "@/app/_components/app-shell";
import { Card } from "@/app/_components/ui/card";
import { PageHeader } from "@/app/_components/ui/page-header";
import { getViewer } from "@/server/auth/session";
import { getHubConfig } from "@/server/config";
import { SessionsList } from "./sessions-list";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  const viewer = await getViewer();
  if (!viewer) redirect("/signin");
  return (
    <>
      <PageHeader
        title="Your account"
        description="Your details, your password, your second factors and where you are signed in."
      />
      <div className="space-y-6">
        <Card title="Details">
          <dl className="grid gap-x-12 gap-y-3 text-sm sm:grid-cols-3">
            <div>
              <dt className="text-slate-500">Name</dt>
              <dd className="mt-1">{viewer.name}</dd>
            </div>
            <div>
              <dt className="text-slate-500">Email</dt>
              <dd className="mt-1 break-all">{viewer.email}</dd>
            </div>
            <div>
              <dt className="text-slate-500">Roles</dt>
              <dd className="mt-1">{roleSummary(viewer)}</dd>
            </div>
          </dl>
          <p className="mt-4 flex flex-wrap gap-x-6 gap-y-2 text-sm">
            <Link href="/account/password" className="font-medium text-nhs-blue underline">
              Change your password
            </Link>
            <Link href="/account/security" className="font-medium text-nhs-blue underline">
              Second factors and recovery codes
            </Link>
          </p>
        </Card>
        <SessionsList
          idleMinutes={getHubConfig().FLIP_SESSION_IDLE_MINUTES}
          lifetimeHours={getHubConfig().FLIP_SESSION_MAX_HOURS}
        />
      </div>
    </>
  );
}
