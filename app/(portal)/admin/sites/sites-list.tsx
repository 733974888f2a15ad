"use client";

import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { AppRouter } from "@/server/root";
import { Alert, DataTable, EmptyState, Loading, type Column } from "@/app/_components/ui";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";

type SiteRow = inferRouterOutputs<AppRouter>["sites"]["list"][number];

const columns: Column<SiteRow>[] = [
  {
    header: "Code",
    cell: (s) => (
      <Link href={`/admin/sites/${s.id}`} className="font-mono font-semibold text-nhs-blue underline-offset-2 hover:underline">
        {s.code}
      </Link>
    ),
  },
  { header: "Name", cell: (s) => s.name },
  { header: "Region", cell: (s) => s.region },
  { header: "Created", cell: (s) => s.createdAt.toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric" }) },
];

export function SitesList() {
  const trpc = useTRPC();
  const sites = useQuery(trpc.sites.list.queryOptions());

  return (
    <section aria-labelledby="sites-list-title" className="space-y-3">
      <h2 id="sites-list-title" className="text-lg font-semibold text-slate-900">
        Registered Trusts
      </h2>
      {sites.isPending ? (
        <Loading label="Loading sites…" />
      ) : sites.isError ? (
        <Alert>{messageOf(sites.error)}</Alert>
      ) : sites.data.length === 0 ? (
        <EmptyState title="No sites yet">Register the first Trust with the form above.</EmptyState>
      ) : (
        <DataTable label="Sites" columns={columns} rows={sites.data} rowKey={(s) => s.id} />
      )}
    </section>
  );
}
