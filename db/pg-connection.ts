import pg from "pg";

/** Small PostgreSQL connection helpers shared by the hub, the site-data generator and tests. */

/** Same server and credentials as `url`, other database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Runs `run` on a fresh single connection to `url`, always closing it. */
export async function withPgClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const INVALID_CATALOG_NAME = "3D000"; // SQLSTATE: database does not exist

/** Connects to `url`, first creating its database (via the server's `postgres` database) if missing. */
export async function connectCreatingDatabase(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return client;
  } catch (error) {
    if ((error as { code?: string }).code !== INVALID_CATALOG_NAME) throw error;
  }
  const name = databaseName(url);
  await withPgClient(withDatabase(url, "postgres"), (admin) =>
    admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: unknown) => {
      // Another process may have created it between our two connections; that is fine.
      if ((error as { code?: string }).code !== "42P04") throw error;
    }),
  );
  const created = new pg.Client({ connectionString: url });
  await created.connect();
  return created;
}
