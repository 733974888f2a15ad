/**
 * Structured logs: one JSON object per line on stdout, for the Trust's log collector.
 *
 * Fields are restricted to scalars and callers pass identifiers and counts only: a site worker
 * must never write patient data or SQL row values to its logs, so there is deliberately no way to
 * attach an arbitrary object (a row, a result, an error with its detail).
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` (e.g. taskId, attempt, kind) to every line. */
  child(fields: LogFields): Logger;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createLogger(
  base: LogFields = {},
  options: { minLevel?: LogLevel; write?: (line: string) => void } = {},
): Logger {
  const minRank = LEVEL_RANK[options.minLevel ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (LEVEL_RANK[level] < minRank) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields })}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger({ ...base, ...fields }, options),
  };
}

/**
 * A description of an error that is safe to log or send to the hub. PostgreSQL messages can quote
 * values from rows ("invalid input syntax for type integer: ..."), so database errors are reduced
 * to their SQLSTATE; only messages this worker wrote itself (SafeMessageError) pass through.
 */
export function describeErrorSafely(error: unknown): string {
  if (error instanceof SafeMessageError) return error.message;
  if (isPgError(error)) return `site database error SQLSTATE ${error.code}`;
  if (error instanceof Error && /timeout exceeded when trying to connect|Connection terminated/i.test(error.message)) {
    return "site database connection failed";
  }
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.name} (${code})` : error.name;
  }
  return "unknown error";
}

/** An error whose message was written by this worker and contains no site data. */
export class SafeMessageError extends Error {}

export function isPgError(error: unknown): error is Error & { code: string; severity: string } {
  return error instanceof Error && "severity" in error && typeof (error as { code?: unknown }).code === "string";
}
