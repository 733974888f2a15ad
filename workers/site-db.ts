import pg from "pg";
import { SafeMessageError, type Logger } from "./log";

/**
 * The Trust's OMOP database, reached with a read-only role. Every task query runs in a
 * `BEGIN READ ONLY` transaction with a local statement timeout, so even a wrong query cannot
 * change site data or hold the database for long.
 */
export type SiteQuery = <R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) => Promise<R[]>;

export type SiteDb = {
  /** The schema-qualified, identifier-quoted name of an OMOP table. */
  table: (name: string) => string;
  readOnly: <T>(
    run: (query: SiteQuery) => Promise<T>,
    options: { statementTimeoutMs: number; signal?: AbortSignal },
  ) => Promise<T>;
  ping: (timeoutMs: number) => Promise<void>;
  close: () => Promise<void>;
};

export class TaskAbortedError extends SafeMessageError {}

export function createSiteDb({
  url,
  schema,
  maxConnections,
  log,
}: {
  url: string;
  schema: string;
  maxConnections: number;
  log: Logger;
}): SiteDb {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection dropped by the server (restart, failover) must not crash the worker.
  pool.on("error", (error) =>
    log.warn("Site database connection lost", { code: (error as { code?: string }).code ?? error.name }),
  );
  const quotedSchema = pg.escapeIdentifier(schema);

  async function readOnly<T>(
    run: (query: SiteQuery) => Promise<T>,
    { statementTimeoutMs, signal }: { statementTimeoutMs: number; signal?: AbortSignal },
  ): Promise<T> {
    if (signal?.aborted) throw new TaskAbortedError("task aborted before it queried the site database");
    const client = await pool.connect();
    // Cancelling the running statement from another connection stops the work on the server too.
    const cancel = () => void pool.query("SELECT pg_cancel_backend($1)", [backendPid(client)]).catch(() => undefined);
    signal?.addEventListener("abort", cancel, { once: true });
    let isBroken = false;
    try {
      await client.query("BEGIN READ ONLY");
      await client.query("SELECT set_config('statement_timeout', $1, true)", [String(statementTimeoutMs)]);
      const query: SiteQuery = async <R extends pg.QueryResultRow>(text: string, values: readonly unknown[] = []) => {
        if (signal?.aborted) throw new TaskAbortedError("task aborted");
        const result = await client.query<R>(text, [...values]);
        return result.rows;
      };
      const value = await run(query);
      await client.query("COMMIT");
      return value;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        isBroken = true;
      });
      if (signal?.aborted) throw new TaskAbortedError("task aborted while querying the site database");
      throw error;
    } finally {
      signal?.removeEventListener("abort", cancel);
      client.release(isBroken);
    }
  }

  async function ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SafeMessageError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([pool.query("SELECT 1"), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  return { table: (name) => `${quotedSchema}.${pg.escapeIdentifier(name)}`, readOnly, ping, close: () => pool.end() };
}

function backendPid(client: pg.PoolClient): number {
  // node-postgres sets processID on connect; it is missing from its type definitions.
  return (client as unknown as { processID: number }).processID;
}
