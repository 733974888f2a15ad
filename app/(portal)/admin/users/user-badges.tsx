import type { Role } from "@/db/schema";
import { Badge } from "@/app/_components/ui/badge";

export type RoleLabels = Record<Role, string>;

export function GrantBadge({
  grant,
  roleLabels,
}: {
  grant: { role: Role; siteCode: string | null };
  roleLabels: RoleLabels;
}) {
  const tone = grant.role === "admin" ? "amber" : grant.role === "approver" ? "blue" : "neutral";
  return (
    <Badge tone={tone}>
      {grant.siteCode ? `${roleLabels[grant.role]} · ${grant.siteCode}` : roleLabels[grant.role]}
    </Badge>
  );
}

export function UserStatusBadge({ user }: { user: { disabled: boolean; mustChangePassword: boolean } }) {
  if (user.disabled) return <Badge tone="red">Disabled</Badge>;
  if (user.mustChangePassword) return <Badge tone="amber">Must set password</Badge>;
  return <Badge tone="green">Active</Badge>;
}
