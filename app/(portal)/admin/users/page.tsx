import type { Metadata } from "next";
import { ROLE_LABELS } from "@/server/auth/permissions";
import { PageHeader } from "@/app/_components/ui/page-header";
import { CreateUserForm } from "./create-user-form";
import { UsersList } from "./users-list";

export const metadata: Metadata = { title: "Users" };

export default function UsersPage() {
  return (
    <>
      <PageHeader
        title="Users"
        description="Create accounts, grant and revoke roles, and disable access when someone leaves."
      />
      <div className="space-y-8">
        <CreateUserForm />
        <UsersList roleLabels={ROLE_LABELS} />
      </div>
    </>
  );
}
