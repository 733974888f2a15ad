import { hasAccess, type Scope, type Viewer } from "@/server/auth/permissions";

export type NavItem = { href: string; label: string; description: string; scope?: Scope };

/** Every place in the portal, with the scope needed to go there; the shell and home page both read this. */
export const NAV_ITEMS: NavItem[] = [
  { href: "/", label: "Home", description: "Your roles and where to go next." },
  {
    href: "/network",
    label: "Network",
    description: "The NHS Trusts taking part in the federation.",
    scope: "network:read",
  },
  {
    href: "/projects",
    label: "Projects",
    description: "Your research projects, cohorts and approvals.",
    scope: "projects:create",
  },
  {
    href: "/approvals",
    label: "Approvals",
    description: "Data-governance decisions for your site.",
    scope: "approvals:read",
  },
  {
    href: "/admin/users",
    label: "Users",
    description: "Create accounts, grant and revoke roles.",
    scope: "users:read",
  },
  {
    href: "/admin/sites",
    label: "Sites",
    description: "Register Trusts and keep their details current.",
    scope: "sites:read",
  },
  {
    href: "/admin/audit",
    label: "Audit log",
    description: "Every governed action, hash-chained.",
    scope: "audit:read",
  },
];

export function navigationFor(viewer: Viewer): NavItem[] {
  return NAV_ITEMS.filter((item) => !item.scope || hasAccess(viewer, item.scope));
}
