import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";
import { getHubConfig } from "@/server/config";

/**
 * The hub's one logger: JSON lines on stdout (one object per line, ISO time, level as a word),
 * pino-pretty when stdout is a terminal. Request and job code logs through it; the CLIs keep
 * their plain progress text.
 */

function level(): string {
  try {
    return getHubConfig().FLIP_LOG_LEVEL;
  } catch {
    return "info"; // a bad configuration is reported by the entry point, not here
  }
}

function createLogger(destination?: DestinationStream): Logger {
  const options = {
    level: level(),
    base: { service: "flip-hub" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (destination) return pino(options, destination);
  return process.stdout.isTTY ? pino(options, pretty({ colorize: true, sync: true })) : pino(options);
}

const globalForLog = globalThis as unknown as { flipLogger?: Logger };

export function getLogger(): Logger {
  globalForLog.flipLogger ??= createLogger();
  return globalForLog.flipLogger;
}

/**
 * Sends every log line to an array instead of stdout until `restore()`. @internal for tests.
 */
export function captureLogs(): { lines: Record<string, unknown>[]; text: () => string; restore: () => void } {
  const previous = globalForLog.flipLogger;
  const chunks: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString("utf8");
      chunks.push(text);
      for (const line of text.split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  globalForLog.flipLogger = createLogger(sink);
  globalForLog.flipLogger.level = "trace";
  return { lines, text: () => chunks.join(""), restore: () => void (globalForLog.flipLogger = previous) };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's x-request-id when it is a plain token (a proxy's, a worker's), else a fresh UUID. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get("x-request-id")?.trim();
  return given && REQUEST_ID.test(given) ? given : randomUUID();
}

type Failure = { code?: unknown; severity?: unknown; routine?: unknown; table?: unknown; constraint?: unknown };

const isSqlState = (code: unknown): code is string => typeof code === "string" && /^[0-9A-Z]{5}$/.test(code);

/** "insert users", "select site_tasks", "update jobs": a statement's verb and first table, never its text or values. */
export function queryNameOf(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const verb = /^\(?\s*(\w+)/.exec(flat)?.[1]?.toLowerCase() ?? "query";
  const table = /\b(?:from|into|update|join|table)\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/i.exec(flat)?.[1];
  return table ? `${verb} ${table.replaceAll('"', "")}` : verb;
}

/**
 * An error as log fields. A database error (a SQLSTATE anywhere in the cause chain) is logged as
 * its SQLSTATE, the query's name and the table/constraint/routine PostgreSQL names, and nothing
 * else: drizzle's message and stack carry the bound values, PostgreSQL's message and detail often
 * quote them (`invalid input syntax for type uuid: "…"`, `Key (email)=(…) already exists`).
 * Any other error is logged with its name, message and stack.
 */
export function errorFields(error: unknown): Record<string, unknown> {
  let query: string | undefined;
  let code: string | undefined;
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const text = (e as { query?: unknown }).query;
    if (typeof text === "string" && query === undefined) query = queryNameOf(text);
    const f = e as Failure;
    if (typeof f.code === "string" && code === undefined) code = f.code;
    if (isSqlState(f.code) && (f.severity !== undefined || f.routine !== undefined)) {
      const named = (value: unknown) => (typeof value === "string" ? value : undefined);
      return {
        kind: "database",
        sqlstate: f.code,
        query: query ?? "unknown",
        table: named(f.table),
        constraint: named(f.constraint),
        routine: named(f.routine),
      };
    }
  }
  // A query that never reached the server (connection refused, pool closed): its code, not its message.
  if (query !== undefined) return { kind: "database", sqlstate: "unknown", code, query };
  if (error instanceof Error) return { kind: error.name, message: error.message, stack: error.stack };
  return { kind: typeof error, message: String(error) };
}

const logged = new WeakSet<object>();

/** Remembers that `error` was logged, so an outer handler does not log it a second time. */
export function markLogged(error: unknown): void {
  if (error && typeof error === "object") logged.add(error);
}

export function wasLogged(error: unknown): boolean {
  return !!error && typeof error === "object" && logged.has(error);
}
