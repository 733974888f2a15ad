import { initTRPC, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import type { Database } from "@/db/client";
import { AppError, isDatabaseShutdown, toFieldErrors } from "./errors";
import {
  hasAccess,
  hasRole,
  projectAccessRefusal,
  type ProjectScope,
  type Scope,
  type Viewer,
} from "./auth/permissions";
import { authenticateWorker } from "./worker/worker-auth";
import { forgetAllKept } from "./database/notified-cache";
import { membershipOf } from "./projects/membership";
import { ENROL_FIRST, hasRecentFactor, STEP_UP_REQUIRED, StepUpRequired, VERIFY_FIRST } from "./auth/second-factor";
import { errorFields, getLogger, markLogged, requestIdOf } from "./observability/logger";
import { metrics } from "./observability/metrics";
import { trpcTransformer } from "./trpc-transformer";

export type TRPCContext = { db: Database; viewer: Viewer | null; ip: string; headers: Headers };

const t = initTRPC.context<TRPCContext>().create({
  transformer: trpcTransformer,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fieldErrors = toFieldErrors(cause);
    // Internal failures never leak their message (it may name tables, hosts or data).
    const isInternal = error.code === "INTERNAL_SERVER_ERROR";
    const message =
      cause instanceof ZodError
        ? "Some fields need attention."
        : isInternal
          ? "Something went wrong on our side. Try again."
          : shape.message;
    // A step-up refusal is marked, so the browser asks for a second factor and retries the call.
    const isStepUp = cause instanceof StepUpRequired;
    return {
      ...shape,
      message,
      data: { ...shape.data, stack: undefined, fieldErrors: fieldErrors ?? null, stepUp: isStepUp },
    };
  },
});

const ROUTINE_WORKER_CALLS: ReadonlySet<string> = new Set(["worker.heartbeat", "worker.claim", "worker.progress"]);

/** Who made a request, for its log line; workerProcedure fills in the site once the token is checked. */
type RequestSubject = { user?: string; site?: string };

/**
 * One log line and one latency observation per call: request id (the caller's x-request-id or a
 * new one), procedure, duration, result code, and the user or site. An internal error is logged
 * here with its SQLSTATE and query name (errorFields), never its message's bound values. An
 * AppError is given its transport code here, once, so handlers just throw. (One middleware, not
 * two: every middleware a call passes through copies the call's options and context.)
 */
const observe = t.middleware(async ({ ctx, path, type, next }) => {
  const requestId = requestIdOf(ctx.headers);
  const subject: RequestSubject = { user: ctx.viewer?.id };
  const started = performance.now();
  const result = await next({ ctx: { requestId, subject } });
  // A browser's change (a grant, a sign-out, a disabled account) holds for this process's very next
  // request, not from when PostgreSQL's notification of it arrives (database/notified-cache.ts).
  if (type === "mutation" && !path.startsWith("worker.")) forgetAllKept(ctx.db);
  const seconds = (performance.now() - started) / 1000;
  const cause = result.ok ? undefined : result.error.cause;
  const mapped = cause instanceof AppError ? new TRPCError({ code: cause.code, message: cause.message, cause }) : null;
  const error = result.ok ? null : (mapped ?? result.error);
  const code = error ? error.code : "OK";
  metrics.trpcDuration.observe({ procedure: path, type, code }, seconds);
  const line = { requestId, procedure: path, type, code, durationMs: Math.round(seconds * 10_000) / 10, ...subject };
  const log = getLogger();
  // A worker's routine calls (a heartbeat every few seconds per site, long-poll claims, lease renewals)
  // log at debug when they succeed, so a terminal or log store shows what people and results do.
  if (!error && ROUTINE_WORKER_CALLS.has(path)) log.debug(line, "trpc request");
  else if (!error || code !== "INTERNAL_SERVER_ERROR") log.info(line, "trpc request");
  else {
    const failure = error.cause ?? error;
    const err = errorFields(failure);
    // While the database shuts down (or restarts) every open call fails the same way.
    if (isDatabaseShutdown(failure))
      log.warn({ ...line, err }, "trpc request: the database is shutting down or restarting");
    else log.error({ ...line, err }, "trpc request failed");
    markLogged(error);
  }
  if (mapped) throw mapped;
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(observe);

/** The viewer, signed in (even if they still have to replace a temporary password). */
function signedIn(viewer: Viewer | null): Viewer {
  if (!viewer) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return viewer;
}

/** Signed in and, when the account has a second factor, proved it in this session. */
function identified(viewer: Viewer | null): Viewer {
  const signedInViewer = signedIn(viewer);
  if (signedInViewer.secondFactor === "verify") throw new TRPCError({ code: "FORBIDDEN", message: VERIFY_FIRST });
  return signedInViewer;
}

/** Identified, the temporary password replaced, and a factor set up where one is required. */
function fullySignedIn(viewer: Viewer | null): Viewer {
  const identifiedViewer = identified(viewer);
  if (identifiedViewer.mustChangePassword)
    throw new TRPCError({ code: "FORBIDDEN", message: "Set a new password before continuing." });
  if (identifiedViewer.secondFactor === "enrol") throw new TRPCError({ code: "FORBIDDEN", message: ENROL_FIRST });
  return identifiedViewer;
}

/** Signed in, even if the user still has to replace a temporary password. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) =>
  next({ ctx: { ...ctx, viewer: signedIn(ctx.viewer) } }),
);

/**
 * Signed in and, when the account has a second factor, proved it in this session: the account
 * itself (password, sessions, factors) may be managed, even with a temporary password.
 */
export const identifiedProcedure = publicProcedure.use(({ ctx, next }) =>
  next({ ctx: { ...ctx, viewer: identified(ctx.viewer) } }),
);

/**
 * Fully signed in: second factor proved, temporary password replaced, and a factor set up where
 * one is required. One check, not a middleware per step (each would copy the call's context).
 */
export const protectedProcedure = publicProcedure.use(({ ctx, next }) =>
  next({ ctx: { ...ctx, viewer: fullySignedIn(ctx.viewer) } }),
);

/**
 * For sensitive actions (approval decisions, site tokens, role grants, factor changes), after the
 * procedure's own checks: the session must have proved its second factor in the last 5 minutes.
 */
export const requireStepUp = t.middleware(({ ctx, next }) => {
  if (!hasRecentFactor(ctx.viewer?.session))
    throw new TRPCError({ code: "PRECONDITION_FAILED", message: STEP_UP_REQUIRED, cause: new StepUpRequired() });
  return next();
});

/** Requires a scope from any of the viewer's grants. */
export const scopedProcedure = (scope: Scope) =>
  protectedProcedure.use(({ ctx, next }) => {
    if (!hasAccess(ctx.viewer, scope))
      throw new TRPCError({ code: "FORBIDDEN", message: "You do not have access to this." });
    return next();
  });

export const adminProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!hasRole(ctx.viewer, "admin"))
    throw new TRPCError({ code: "FORBIDDEN", message: "Only platform admins can do this." });
  return next();
});

/**
 * Requires approver rights for the site named in the input (`siteId`). Admins are not approvers:
 * nobody can act for a site's data-governance office except its own approvers.
 */
export const siteApproverProcedure = (scope: Extract<Scope, "approvals:read" | "approvals:decide">) =>
  protectedProcedure.input(z.object({ siteId: z.uuid("Choose a site") })).use(({ ctx, input, next }) => {
    if (!hasAccess(ctx.viewer, scope, input.siteId)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Only an approver for this site can do this." });
    }
    return next({ ctx: { ...ctx, siteId: input.siteId } });
  });

/**
 * Requires membership of the project named by `projectId` in the input, with a role that grants
 * `scope` (and, beyond reading, the researcher platform role). Membership is checked in the query: a non-member gets NOT_FOUND, as if it did not exist.
 */
export const projectProcedure = (scope: ProjectScope) =>
  protectedProcedure
    .input(z.object({ projectId: z.uuid("Choose a project") }))
    .use(async ({ ctx, input, type, next }) => {
      const membership = await membershipOf(ctx.db, {
        userId: ctx.viewer.id,
        projectId: input.projectId,
        isForChange: type === "mutation",
      });
      if (!membership)
        throw new TRPCError({ code: "NOT_FOUND", message: "No project with that id, or you are not a member of it." });
      const refusal = projectAccessRefusal(ctx.viewer, membership.role, scope);
      if (refusal) throw new TRPCError({ code: "FORBIDDEN", message: refusal });
      return next({
        ctx: {
          ...ctx,
          project: { id: input.projectId, role: membership.role, status: membership.status, title: membership.title },
        },
      });
    });

/**
 * For site workers, not people: the site is resolved from the bearer token's hash, never from the
 * request body, and the worker must speak this hub's protocol version.
 */
export const workerProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const site = await authenticateWorker(ctx.db, ctx.headers);
  ctx.subject.site = site.code;
  return next({ ctx: { ...ctx, site } });
});
