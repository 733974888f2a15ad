import type { ProjectRole, Role } from "@/db/schema";
import type { SecondFactorDue } from "./second-factor";
import type { SessionState } from "./sessions";

/**
 * Permissions are data: each role grants a set of `resource:action` scopes. Approver scopes
 * are site-scoped: they hold only for the site named on the grant.
 */
export const ROLE_SCOPES = {
  admin: ["users:read", "users:write", "sites:read", "sites:write", "audit:read", "network:read"],
  researcher: ["network:read", "projects:create"],
  approver: ["network:read", "approvals:read", "approvals:decide"],
} as const satisfies Record<Role, readonly string[]>;

export type Scope = (typeof ROLE_SCOPES)[Role][number];

/** Inside a project, what each project role may do. */
export const PROJECT_ROLE_SCOPES = {
  owner: [
    "project:read",
    "project:edit",
    "project:submit",
    "project:members",
    "project:close",
    "cohort:run",
    "model:write",
    "model:download",
    "job:run",
  ],
  member: ["project:read", "project:edit", "project:submit", "cohort:run", "model:write", "model:download", "job:run"],
  viewer: ["project:read"],
} as const satisfies Record<ProjectRole, readonly string[]>;

export type ProjectScope = (typeof PROJECT_ROLE_SCOPES)[ProjectRole][number];

function hasProjectAccess(role: ProjectRole | null, scope: ProjectScope): boolean {
  return !!role && (PROJECT_ROLE_SCOPES[role] as readonly string[]).includes(scope);
}

/**
 * Why a project member may not use `scope`, or null when they may. Anything beyond reading needs
 * the researcher platform role as well as the project role: revoking the role ends the powers.
 */
export function projectAccessRefusal(
  viewer: Pick<Viewer, "grants">,
  role: ProjectRole,
  scope: ProjectScope,
  action = "this",
): string | null {
  if (!hasProjectAccess(role, scope)) return `Your role on this project (${role}) does not allow ${action}.`;
  if (scope !== "project:read" && !hasRole(viewer, "researcher"))
    return "Only researchers can change a project. Ask a platform admin for the researcher role.";
  return null;
}

export type ViewerGrant = {
  id: string;
  role: Role;
  siteId: string | null;
  siteCode: string | null;
  siteName: string | null;
};

export type Viewer = {
  id: string;
  email: string;
  name: string;
  mustChangePassword: boolean;
  grants: ViewerGrant[];
  /** What this session must do before using the portal: prove its second factor, or set one up. */
  secondFactor: SecondFactorDue;
  /** The browser session the request came with; absent for callers that are not a browser session. */
  session?: SessionState;
};

/** One check used by procedures and by the UI. `siteId` narrows site-scoped scopes to one site. */
export function hasAccess(viewer: Pick<Viewer, "grants"> | null, scope: Scope, siteId?: string): boolean {
  if (!viewer) return false;
  return viewer.grants.some((grant) => {
    const scopes: readonly string[] = ROLE_SCOPES[grant.role];
    if (!scopes.includes(scope)) return false;
    if (grant.role !== "approver" || siteId === undefined) return true;
    return grant.siteId === siteId;
  });
}

export function hasRole(viewer: Pick<Viewer, "grants"> | null, role: Role): boolean {
  return !!viewer?.grants.some((g) => g.role === role);
}

export const ROLE_LABELS: Record<Role, string> = {
  researcher: "Researcher",
  approver: "Approver",
  admin: "Admin",
};
