import pg from "pg";
import { withDatabase } from "@/db/pg-connection";

/**
 * One database per site, owned by that site's owner role, readable by that site's reader role only.
 * The site worker connects as the reader, so a bug or a hostile job can neither change the site's
 * data nor reach another site's database on a shared demo server.
 */

export type ProvisionOptions = {
  /** A superuser (or CREATEROLE + CREATEDB) URL on the server that will host the site database. */
  adminUrl: string;
  siteCode: string;
  ownerPassword: string;
  readerPassword: string;
  schema?: string;
  /** Prefix of the database and role names, so separate environments can share one server (default flip_site). */
  namespace?: string;
};

export type ProvisionedSiteDatabase = {
  database: string;
  schema: string;
  ownerRole: string;
  readerRole: string;
  /** For generation (writes). */
  ownerUrl: string;
  /** For the site worker (read-only). */
  readerUrl: string;
};

const SITE_CODE = /^[A-Za-z][A-Za-z0-9_]{0,15}$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const DUPLICATE_OBJECT = "42710";
const DUPLICATE_DATABASE = "42P04";

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string }).code;
}

export function siteDatabaseNames(
  siteCode: string,
  namespace = "flip_site",
): { database: string; ownerRole: string; readerRole: string } {
  if (!SITE_CODE.test(siteCode))
    throw new Error(`invalid site code "${siteCode}": letters, digits and _ only, starting with a letter, at most 16`);
  if (!IDENTIFIER.test(namespace) || namespace.length > 30)
    throw new Error(`invalid namespace "${namespace}": lower-case letters, digits and _ only, at most 30`);
  const base = `${namespace}_${siteCode.toLowerCase()}`;
  return { database: base, ownerRole: `${base}_owner`, readerRole: `${base}_reader` };
}

function roleUrl(adminUrl: string, database: string, role: string, password: string): string {
  const u = new URL(withDatabase(adminUrl, database));
  u.username = role;
  u.password = encodeURIComponent(password);
  return u.toString();
}

async function upsertLoginRole(client: pg.Client, role: string, password: string): Promise<void> {
  const id = pg.escapeIdentifier(role);
  // Explicit NO* attributes: a pre-existing role with the same name must not keep extra powers.
  const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${pg.escapeLiteral(password)}`;
  const { rowCount } = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]);
  if (!rowCount) {
    try {
      await client.query(`CREATE ROLE ${id} ${attributes}`);
      return;
    } catch (error) {
      if (codeOf(error) !== DUPLICATE_OBJECT) throw error; // created concurrently: fall through to ALTER
    }
  }
  await client.query(`ALTER ROLE ${id} ${attributes}`);
}

/** Creates or updates the site's database, roles and grants. Safe to run again with the same arguments. */
export async function provisionSiteDatabase(options: ProvisionOptions): Promise<ProvisionedSiteDatabase> {
  const { database, ownerRole, readerRole } = siteDatabaseNames(options.siteCode, options.namespace);
  const schema = options.schema ?? "public";
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema "${schema}"`);
  if (!options.ownerPassword || !options.readerPassword) throw new Error("owner and reader passwords are required");
  const db = pg.escapeIdentifier(database);
  const owner = pg.escapeIdentifier(ownerRole);
  const reader = pg.escapeIdentifier(readerRole);
  const sch = pg.escapeIdentifier(schema);

  const admin = new pg.Client({ connectionString: options.adminUrl });
  await admin.connect();
  try {
    await upsertLoginRole(admin, ownerRole, options.ownerPassword);
    await upsertLoginRole(admin, readerRole, options.readerPassword);
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) {
      await admin.query(`CREATE DATABASE ${db} OWNER ${owner}`).catch((error: unknown) => {
        if (codeOf(error) !== DUPLICATE_DATABASE) throw error;
      });
    }
    await admin.query(`ALTER DATABASE ${db} OWNER TO ${owner}`);
    // PUBLIC gets CONNECT and TEMP on every new database by default: take that away so only this site's roles get in.
    await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT ON DATABASE ${db} TO ${reader}`);
  } finally {
    await admin.end();
  }

  const inSite = new pg.Client({ connectionString: withDatabase(options.adminUrl, database) });
  await inSite.connect();
  try {
    await inSite.query(`CREATE SCHEMA IF NOT EXISTS ${sch} AUTHORIZATION ${owner}`);
    await inSite.query(`ALTER SCHEMA ${sch} OWNER TO ${owner}`);
    // Before PostgreSQL 15 everyone may CREATE in public; nobody but the owner should write here.
    await inSite.query(`REVOKE ALL ON SCHEMA ${sch} FROM PUBLIC`);
    await inSite.query(`GRANT USAGE ON SCHEMA ${sch} TO ${reader}`);
    await inSite.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${sch} TO ${reader}`);
    // Tables the owner creates later (generation, --replace) become readable without re-provisioning.
    await inSite.query(
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${sch} GRANT SELECT ON TABLES TO ${reader}`,
    );
  } finally {
    await inSite.end();
  }

  return {
    database,
    schema,
    ownerRole,
    readerRole,
    ownerUrl: roleUrl(options.adminUrl, database, ownerRole, options.ownerPassword),
    readerUrl: roleUrl(options.adminUrl, database, readerRole, options.readerPassword),
  };
}
