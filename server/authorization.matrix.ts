import type { inferRouterInputs } from "@trpc/server";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { roleGrants, type Site } from "@/db/schema";
import type { Viewer } from "@/server/auth/permissions";
import { requestInventory } from "@/server/site-network/site-network.service";
import { FIXTURE_PASSWORD, makeSite, makeUser, viewerOf } from "@/server/lib/test-support/fixtures";
import type { AppRouter } from "@/server/root";

/**
 * Who may call each procedure. Derived from server/auth/permissions.ts and the procedure ladder in
 * server/trpc.ts, checked against DESIGN.md section 1: an approver acts only for their own site and
 * nobody else (not even an admin) can act for it; admins run users, sites and the audit log.
 * `worker.*` is for site workers holding a site token, never for people: every user is refused.
 */

type Inputs = inferRouterInputs<AppRouter>;
export type ProcedurePath = { [R in keyof Inputs]: `${R & string}.${keyof Inputs[R] & string}` }[keyof Inputs];
type InputOf<P extends ProcedurePath> = P extends `${infer R extends keyof Inputs}.${infer N}`
  ? N extends keyof Inputs[R]
    ? Inputs[R][N]
    : never
  : never;

export const ACTORS = ["signedOut", "researcher", "approverA", "approverB", "admin", "temporaryPassword", "noGrants"] as const;
export type ActorName = (typeof ACTORS)[number];

export type World = { db: Database; siteA: Site; siteB: Site; viewers: Record<ActorName, Viewer | null> };

/** Two sites and one viewer per actor. The temporary-password user holds every grant, so only the password can refuse them. */
export async function buildWorld(db: Database): Promise<World> {
  const siteA = await makeSite(db);
  const siteB = await makeSite(db);
  const ids = {
    researcher: (await makeUser(db, [{ role: "researcher" }])).id,
    approverA: (await makeUser(db, [{ role: "approver", siteId: siteA.id }])).id,
    approverB: (await makeUser(db, [{ role: "approver", siteId: siteB.id }])).id,
    admin: (await makeUser(db, [{ role: "admin" }])).id,
    temporaryPassword: (
      await makeUser(db, [{ role: "admin" }, { role: "researcher" }, { role: "approver", siteId: siteA.id }], { mustChangePassword: true })
    ).id,
    noGrants: (await makeUser(db, [])).id,
  };
  const signedIn = await Promise.all(Object.entries(ids).map(async ([actor, id]) => [actor, await viewerOf(db, id)] as const));
  const viewers = { signedOut: null, ...Object.fromEntries(signedIn) } as Record<ActorName, Viewer | null>;
  return { db, siteA, siteB, viewers };
}

export const SIGN_IN_FIRST = "Sign in to continue.";
export const SET_PASSWORD_FIRST = "Set a new password before continuing.";
const ADMIN_ONLY = "Only platform admins can do this.";
const SITE_APPROVER_ONLY = "Only an approver for this site can do this.";
const NO_ACCESS = "You do not have access to this.";

const SITE_TOKEN_REQUIRED = { code: "UNAUTHORIZED", message: "Send the site token as 'Authorization: Bearer <token>'." } as const;

type Row<P extends ProcedurePath> = {
  allowed: readonly ActorName[];
  /** What a signed-in actor outside `allowed` is told; absent when every signed-in actor is allowed. */
  refusal?: string;
  /** Overrides the sign-in ladder's refusals: the procedure does not take a user session at all. */
  everyoneRefusedWith?: { code: string; message: string };
  input: (world: World) => InputOf<P> | Promise<InputOf<P>>;
};

const SIGNED_IN = ["researcher", "approverA", "approverB", "admin", "temporaryPassword", "noGrants"] as const;
const ACTIVE = ["researcher", "approverA", "approverB", "admin", "noGrants"] as const;
const ADMIN = ["admin"] as const;

let unique = 0;
const none = () => undefined;

async function freshTarget(world: World) {
  return makeUser(world.db, [{ role: "researcher" }]);
}

const lease = { taskId: "00000000-0000-4000-8000-000000000001", leaseId: "00000000-0000-4000-8000-000000000002" };
const forWorkersOnly = { allowed: [], everyoneRefusedWith: SITE_TOKEN_REQUIRED } as const;

export const MATRIX: { [P in ProcedurePath]: Row<P> } = {
  "account.me": { allowed: SIGNED_IN, input: none },
  "account.changePassword": {
    allowed: SIGNED_IN,
    input: () => ({ currentPassword: FIXTURE_PASSWORD, newPassword: "matrix-new-password", confirmPassword: "matrix-new-password" }),
  },
  "approvals.mySites": { allowed: ACTIVE, input: none },
  "approvals.site": { allowed: ["approverA"], refusal: SITE_APPROVER_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "audit.list": { allowed: ADMIN, refusal: ADMIN_ONLY, input: () => ({}) },
  "audit.actions": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "audit.verify": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "siteNetwork.monitor": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "siteNetwork.detail": { allowed: ADMIN, refusal: ADMIN_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "siteNetwork.issueToken": { allowed: ADMIN, refusal: ADMIN_ONLY, input: async (w) => ({ siteId: (await makeSite(w.db)).id }) },
  "siteNetwork.revokeTokens": { allowed: ADMIN, refusal: ADMIN_ONLY, input: async (w) => ({ siteId: (await makeSite(w.db)).id }) },
  "siteNetwork.requestInventory": { allowed: ADMIN, refusal: ADMIN_ONLY, input: async (w) => ({ siteId: (await makeSite(w.db)).id }) },
  "siteNetwork.cancelTask": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ taskId: (await requestInventory(w.db, w.viewers.admin!, (await makeSite(w.db)).id)).id }),
  },
  "sites.directory": { allowed: ["researcher", "approverA", "approverB", "admin"], refusal: NO_ACCESS, input: none },
  "sites.list": { allowed: ADMIN, refusal: ADMIN_ONLY, input: none },
  "sites.byId": { allowed: ADMIN, refusal: ADMIN_ONLY, input: (w) => ({ siteId: w.siteA.id }) },
  "sites.create": { allowed: ADMIN, refusal: ADMIN_ONLY, input: () => ({ code: `MX${++unique}`, name: "Matrix Trust", region: "Test" }) },
  "sites.update": { allowed: ADMIN, refusal: ADMIN_ONLY, input: (w) => ({ siteId: w.siteB.id, name: `Renamed ${++unique}`, region: "Test" }) },
  "users.list": { allowed: ADMIN, refusal: ADMIN_ONLY, input: () => ({}) },
  "users.byId": { allowed: ADMIN, refusal: ADMIN_ONLY, input: async (w) => ({ userId: (await freshTarget(w)).id }) },
  "users.create": { allowed: ADMIN, refusal: ADMIN_ONLY, input: () => ({ email: `matrix${++unique}@test.flip`, name: "Matrix User" }) },
  "users.grantRole": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => ({ userId: (await makeUser(w.db, [])).id, role: "approver", siteId: w.siteA.id }),
  },
  "users.revokeRole": {
    allowed: ADMIN,
    refusal: ADMIN_ONLY,
    input: async (w) => {
      const target = await freshTarget(w);
      const [grant] = await w.db.select({ id: roleGrants.id }).from(roleGrants).where(eq(roleGrants.userId, target.id));
      return { grantId: grant!.id };
    },
  },
  "users.setDisabled": { allowed: ADMIN, refusal: ADMIN_ONLY, input: async (w) => ({ userId: (await freshTarget(w)).id, disabled: true }) },
  "users.resetPassword": { allowed: ADMIN, refusal: ADMIN_ONLY, input: async (w) => ({ userId: (await freshTarget(w)).id }) },
  "worker.heartbeat": {
    ...forWorkersOnly,
    input: () => ({
      workerVersion: "1.0.0",
      capabilities: { tfjsBackend: "cpu", gpu: null, cpuCount: 2, memoryMb: 1024 },
      utilisation: { cpuPercent: 0, memoryPercent: 0 },
      tasksInFlight: [],
      selfChecks: [],
    }),
  },
  "worker.claim": { ...forWorkersOnly, input: () => ({ waitMs: 0 }) },
  "worker.progress": { ...forWorkersOnly, input: () => ({ ...lease, percent: 50 }) },
  "worker.complete": { ...forWorkersOnly, input: () => ({ ...lease, result: {} }) },
  "worker.fail": { ...forWorkersOnly, input: () => ({ ...lease, code: "handler_error", message: "x", retryable: false }) },
  "worker.release": { ...forWorkersOnly, input: () => lease },
};
