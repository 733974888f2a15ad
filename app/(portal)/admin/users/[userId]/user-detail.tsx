"use client";

import { useQuery } from "@tanstack/react-query";
import { BackLink } from "@/app/_components/ui/back-link";
import { Alert } from "@/app/_components/ui/alert";
import { Card } from "@/app/_components/ui/card";
import { Loading } from "@/app/_components/ui/loading";
import { PageHeader } from "@/app/_components/ui/page-header";
import { useTRPC } from "@/app/_trpc/client";
import { messageOf } from "@/app/_trpc/errors";
import { type RoleLabels } from "../user-badges";
import { AccountCard } from "./account-card";
import { GrantRequests } from "./grant-requests";
import { GrantRoleForm } from "./grant-role-form";
import { GrantsList } from "./grants-list";

export function UserDetail({ userId, roleLabels }: { userId: string; roleLabels: RoleLabels }) {
  const trpc = useTRPC();
  const user = useQuery(trpc.users.byId.queryOptions({ userId }));

  return (
    <>
      <BackLink href="/admin/users">All users</BackLink>
      {user.isPending ? (
        <Loading label="Loading user…" />
      ) : user.isError ? (
        <Alert>{messageOf(user.error)}</Alert>
      ) : (
        <>
          <PageHeader title={user.data.name} description={<span className="break-all">{user.data.email}</span>} />
          <div className="space-y-6">
            <AccountCard user={user.data} />
            <GrantRequests userId={userId} />
            <div className="grid gap-6 md:grid-cols-2">
              <Card title="Roles">
                <GrantsList grants={user.data.grants} roleLabels={roleLabels} />
              </Card>
              <Card title="Grant a role">
                <GrantRoleForm userId={userId} roleLabels={roleLabels} />
              </Card>
            </div>
          </div>
        </>
      )}
    </>
  );
}
