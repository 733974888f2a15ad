"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { RouterOutput } from "@/app/_trpc/types";
import { Alert } from "@/app/_components/ui/alert";
import { DataTable, type Column } from "@/app/_components/ui/data-table";
import { EmptyState } from "@/app/_components/ui/empty-state";
import { Loading } from "@/app/_components/ui/loading";
import { Pagination } from "@/app/_components/ui/pagination";
import { TextField } from "@/app/_components/ui/text-field";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { useDebouncedValue } from "../_components/use-debounced-value";
import { GrantBadge, UserStatusBadge, type RoleLabels } from "./user-badges";

type UserRow = RouterOutput["users"]["list"]["users"][number];

const PAGE_SIZE = 20;

export function UsersList({ roleLabels }: { roleLabels: RoleLabels }) {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const term = useDebouncedValue(search.trim());
  const users = useQuery(
    trpc.users.list.queryOptions(
      { search: term || undefined, page, pageSize: PAGE_SIZE },
      { placeholderData: keepPreviousData },
    ),
  );

  const columns: Column<UserRow>[] = [
    {
      header: "Name",
      cell: (u) => (
        <Link href={`/admin/users/${u.id}`} className="font-medium text-nhs-blue underline-offset-2 hover:underline">
          {u.name}
        </Link>
      ),
    },
    { header: "Email", cell: (u) => <span className="break-all">{u.email}</span> },
    {
      header: "Roles",
      cell: (u) =>
        u.grants.length === 0 ? (
          <span className="text-slate-500">No roles</span>
        ) : (
          <span className="flex flex-wrap gap-1">
            {u.grants.map((g) => (
              <GrantBadge key={g.id} grant={g} roleLabels={roleLabels} />
            ))}
          </span>
        ),
    },
    { header: "Status", cell: (u) => <UserStatusBadge user={u} /> },
  ];

  return (
    <section aria-labelledby="users-list-title" className="space-y-3">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <h2 id="users-list-title" className="text-lg font-semibold text-slate-900">
          Accounts
        </h2>
        <div className="sm:w-80">
          <TextField
            label="Search users"
            name="search"
            type="search"
            placeholder="Name or email"
            value={search}
            onChange={(event) => {
              setSearch(event.target.value);
              setPage(1);
            }}
          />
        </div>
      </div>
      {users.isPending ? (
        <Loading label="Loading users…" />
      ) : users.isError ? (
        <Alert>{messageOf(users.error)}</Alert>
      ) : users.data.users.length === 0 ? (
        <EmptyState title={term ? "No users match your search" : "No users yet"}>
          {term ? `Nobody's name or email contains “${term}”.` : "Create the first account with the form above."}
        </EmptyState>
      ) : (
        <div className={users.isPlaceholderData ? "opacity-60" : undefined}>
          <DataTable label="Users" columns={columns} rows={users.data.users} rowKey={(u) => u.id} />
          <Pagination page={page} pageSize={PAGE_SIZE} total={users.data.total} noun="users" onPageChange={setPage} />
        </div>
      )}
    </section>
  );
}
