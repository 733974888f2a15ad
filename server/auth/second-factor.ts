import { eq, isNotNull, or, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { authFactors, type Role } from "@/db/schema";
import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";

/**
 * The second-factor policy: who must have one, what a session still owes, and how recent a proof
 * a sensitive action (a step-up) needs.
 */

/** How recently a session must have proved its second factor for a step-up action. */
export const STEP_UP_WINDOW_MS = 5 * 60_000;

export const VERIFY_FIRST = "Confirm it's you with your second factor before continuing.";
export const ENROL_FIRST = "Set up a second factor before continuing.";
export const STEP_UP_REQUIRED = "Confirm it's you with your second factor, then try again.";

/**
 * What the session owes before it may use the portal: `verify` (the account has a factor and
 * this session has not proved it), `enrol` (the account must have one and has none), or nothing.
 */
export type SecondFactorDue = "verify" | "enrol" | null;

/** Admins and approvers always; researchers when FLIP_MFA_RESEARCHERS=required. */
export function isSecondFactorRequired(
  grants: readonly { role: Role }[],
  researchers: "optional" | "required" = getHubConfig().FLIP_MFA_RESEARCHERS,
): boolean {
  const researchersToo = researchers === "required";
  return grants.some((g) => g.role === "admin" || g.role === "approver" || (researchersToo && g.role === "researcher"));
}

/** Whoever has a usable factor must use it; a session without a proof (or no session at all) has none. */
export function secondFactorDue(input: {
  grants: readonly { role: Role }[];
  hasFactor: boolean;
  factorVerifiedAt: Date | null | undefined;
}): SecondFactorDue {
  if (input.factorVerifiedAt) return null;
  if (input.hasFactor) return "verify";
  return isSecondFactorRequired(input.grants) ? "enrol" : null;
}

/** True when the session proved its second factor within the step-up window. */
export function hasRecentFactor(session: { factorVerifiedAt: Date | null } | undefined, now = Date.now()): boolean {
  const at = session?.factorVerifiedAt?.getTime();
  return at !== undefined && now - at < STEP_UP_WINDOW_MS && at <= now + 1000;
}

/** A factor that counts: a confirmed authenticator app, or a registered passkey. */
export const usableFactor: SQL = or(isNotNull(authFactors.confirmedAt), eq(authFactors.kind, "passkey"))!;

/** SQL true when the user in `userId` (a column) has a usable factor. */
export function hasUsableFactor(userId: AnyPgColumn): SQL<boolean> {
  return sql<boolean>`exists (select 1 from ${authFactors} where ${authFactors.userId} = ${userId} and ${usableFactor})`;
}

/** The refusal of a step-up action; the error formatter marks it so the browser asks for a code and retries. */
export class StepUpRequired extends AppError {
  constructor() {
    super("PRECONDITION_FAILED", STEP_UP_REQUIRED);
    this.name = "StepUpRequired";
  }
}
