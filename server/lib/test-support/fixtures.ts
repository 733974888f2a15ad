import { TRPCError } from "@trpc/server";
import { expect } from "vitest";
import { eq, sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { auditEvents, authFactors, roleGrants, sites, users, type Role, type SignInMethod } from "@/db/schema";
import { encryptFactorSecret } from "@/server/auth/factor-crypto";
import { newTotpSecret } from "@/server/auth/totp";
import { hashPassword } from "@/server/auth/password";
import type { Viewer } from "@/server/auth/permissions";
import { recordFactorVerified, startSession } from "@/server/auth/sessions";
import { settleChanges } from "@/server/database/change-feed";
import { loadSessionViewer } from "@/server/auth/viewer";
import { toFieldErrors } from "@/server/errors";
import { createCaller } from "@/server/root";

let counter = 0;
let sharedHash: Promise<string> | undefined;
export const FIXTURE_PASSWORD = "correct-horse-battery";

export async function makeSite(db: Database, code = `S${++counter}`) {
  const [site] = await db
    .insert(sites)
    .values({ code, name: `${code} Trust`, region: "Test" })
    .returning();
  return site!;
}

/** A user holding the given grants; approver grants name a site by id. */
export async function makeUser(
  db: Database,
  grants: { role: Role; siteId?: string }[],
  extra: Partial<typeof users.$inferInsert> = {},
) {
  sharedHash ??= hashPassword(FIXTURE_PASSWORD);
  const n = ++counter;
  const [user] = await db
    .insert(users)
    .values({ email: `user${n}-${Date.now()}@test.flip`, name: `User ${n}`, passwordHash: await sharedHash, ...extra })
    .returning();
  for (const g of grants)
    await db.insert(roleGrants).values({ userId: user!.id, role: g.role, siteId: g.siteId ?? null });
  return user!;
}

/**
 * The user as a browser that has just signed in and proved a second factor sees them (so step-up
 * actions work for the next five minutes). `signedInSession` gives a session that has proved nothing.
 */
export async function viewerOf(db: Database, userId: string): Promise<Viewer> {
  const { sessionId, viewer } = await signedInSession(db, userId);
  await recordFactorVerified(db, sessionId);
  const loaded = await viewer();
  if (!loaded) throw new Error("fixture user is not an active viewer");
  return loaded;
}

/** A tRPC caller acting as `viewer` (or signed out with null), exactly as the HTTP route builds it. */
export function callerAs(db: Database, viewer: Viewer | null) {
  return createCaller({ db, viewer, ip: "203.0.113.7", headers: new Headers() });
}

export async function getUserByEmail(db: Database, email: string) {
  const [user] = await db.select().from(users).where(eq(users.email, email));
  return user;
}

type TableSnapshot = { rows: number; hash: string | null };

/**
 * Row count and a content hash of every table in the schema (new tables included without edits):
 * equal snapshots prove a refused call changed nothing.
 */
export async function snapshotTables(db: Database): Promise<Record<string, TableSnapshot>> {
  const { rows: tables } = await db.execute<{ name: string }>(
    sql`SELECT table_name AS "name" FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const perTable = tables.map(
    ({ name }) =>
      sql`SELECT ${name}::text AS "table", count(*)::int AS "rows", md5(string_agg(t::text, '|' ORDER BY t::text)) AS "hash" FROM ${sql.identifier(name)} t`,
  );
  const { rows } = await db.execute<TableSnapshot & { table: string }>(sql.join(perTable, sql` UNION ALL `));
  return Object.fromEntries(rows.map(({ table, ...snapshot }) => [table, snapshot]));
}

/** The error a call was refused with; fails the test when the call succeeds. */
async function rejectionOf(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error("expected the call to be refused, but it succeeded");
}

/** The per-field messages the HTTP error formatter would send to the form for a refused call. */
export async function fieldErrorsOfCall(call: Promise<unknown>): Promise<Record<string, string[]> | undefined> {
  const error = await rejectionOf(call);
  return toFieldErrors(error instanceof TRPCError ? error.cause : error);
}

/** Runs a call that must be refused and proves it changed nothing; returns the field errors a form would show. */
export async function refusedWithoutChange(
  db: Database,
  call: () => Promise<unknown>,
  expected: { code: string; message?: string },
) {
  const before = await snapshotTables(db);
  const pending = call();
  await expect(pending).rejects.toMatchObject(expected);
  const fieldErrors = await fieldErrorsOfCall(pending);
  expect(await snapshotTables(db)).toEqual(before);
  return fieldErrors;
}

export function auditFor(db: Database, subject: string) {
  return db.select().from(auditEvents).where(eq(auditEvents.subject, subject)).orderBy(auditEvents.seq);
}

/** A browser session of `userId` as sign-in starts it; `viewer()` is what each later request sees. */
export async function signedInSession(db: Database, userId: string, method: SignInMethod = "password") {
  const sessionId = await startSession(db, { userId, method, userAgent: "Vitest browser", ipAddress: "203.0.113.7" });
  // As a browser's next request: after this process has heard of the changes committed before it.
  const viewer = async () => {
    await settleChanges(db);
    return loadSessionViewer(db, { userId, sessionId });
  };
  return { sessionId, viewer };
}

/** A confirmed authenticator app on the user's account; returns its secret, from which tests compute codes. */
export async function addConfirmedTotp(db: Database, userId: string, label = "Test phone") {
  const secret = newTotpSecret();
  const [factor] = await db
    .insert(authFactors)
    .values({ userId, kind: "totp", label, totpSecretEncrypted: encryptFactorSecret(secret), confirmedAt: new Date() })
    .returning({ id: authFactors.id });
  return { factorId: factor!.id, secret };
}
