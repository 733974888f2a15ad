import { readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import type { Database } from "@/db/client";
import { isBackgroundWorkRunning } from "@/server/background-work";

const JOURNAL = path.resolve(process.cwd(), "db/migrations/meta/_journal.json");
/** A database that does not answer within this is as good as unreachable for a load balancer. */
const CHECK_TIMEOUT_MS = 3_000;

type Check = { ok: true } | { ok: false; reason: string };
export type Readiness = {
  ready: boolean;
  checks: { database: Check; migrations: Check; backgroundWork: Check };
};

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The SQLSTATE or the node error code, never a message (it may name hosts or carry a password). */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof code === "string") return `unreachable (${code})`;
  if (error instanceof Error && error.message.includes("did not answer")) return error.message;
  return "unreachable";
}

/**
 * Every migration in db/migrations/meta/_journal.json is applied: drizzle records each applied
 * migration in drizzle.__drizzle_migrations with the journal entry's `when` as created_at.
 */
async function checkMigrations(db: Database): Promise<Check> {
  const journal = JSON.parse(await readFile(JOURNAL, "utf8")) as { entries: { tag: string; when: number }[] };
  const { rows } = await db.execute<{ created_at: string }>(
    sql`SELECT created_at::text AS created_at FROM drizzle.__drizzle_migrations`,
  );
  const applied = new Set(rows.map((r) => Number(r.created_at)));
  const missing = journal.entries.filter((e) => !applied.has(e.when)).map((e) => e.tag);
  return missing.length ? { ok: false, reason: `not applied: ${missing.join(", ")}` } : { ok: true };
}

/**
 * Whether this portal process should get traffic: the database answers, its schema is this
 * code's (every migration applied) and the lease sweeper and job coordinator run here.
 */
export async function checkReadiness(getDatabase: () => Promise<Database>): Promise<Readiness> {
  const notChecked: Check = { ok: false, reason: "not checked: the database is unreachable" };
  let db: Database;
  try {
    db = await withTimeout(getDatabase(), "the database");
    await withTimeout(db.execute(sql`SELECT 1`), "the database");
  } catch (error) {
    const database: Check = { ok: false, reason: reasonOf(error) };
    return { ready: false, checks: { database, migrations: notChecked, backgroundWork: notChecked } };
  }
  const migrations = await withTimeout(checkMigrations(db), "the migrations table").catch((error: unknown): Check => ({
    ok: false,
    reason: `cannot be read (${reasonOf(error)})`,
  }));
  const backgroundWork: Check = isBackgroundWorkRunning(db)
    ? { ok: true }
    : { ok: false, reason: "the lease sweeper and job coordinator are not running in this process" };
  const checks = { database: { ok: true } as Check, migrations, backgroundWork };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

/** Liveness for load balancers and orchestrators: the process answers. It checks nothing else. */
export function livenessResponse(): Response {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}

/**
 * How long one readiness check answers every probe of this process: a load balancer probes every
 * few seconds, and a flood of probes (anyone can send them) then costs the database one check a
 * second, not one each.
 */
export const READINESS_REUSE_MS = 1_000;
const recentChecks = new WeakMap<() => Promise<Database>, { startedAt: number; readiness: Promise<Readiness> }>();

/** The check started in the last READINESS_REUSE_MS for this database, finished or not, else a new one. */
function recentReadiness(getDatabase: () => Promise<Database>): Promise<Readiness> {
  const recent = recentChecks.get(getDatabase);
  if (recent && Date.now() - recent.startedAt < READINESS_REUSE_MS) return recent.readiness;
  const readiness = checkReadiness(getDatabase);
  recentChecks.set(getDatabase, { startedAt: Date.now(), readiness });
  return readiness;
}

/** 200 when ready, else 503 naming the failed checks; at most READINESS_REUSE_MS old, and never cached downstream. */
export async function readinessResponse(getDatabase: () => Promise<Database>): Promise<Response> {
  const readiness = await recentReadiness(getDatabase);
  return Response.json(
    { status: readiness.ready ? "ready" : "not ready", ...readiness },
    { status: readiness.ready ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
