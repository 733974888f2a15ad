import { randomUUID } from "node:crypto";
import pg from "pg";
import { isImagingTable, OMOP_TABLES } from "@/protocol/omop/tables";
import { cdmTables } from "./cdm/cdm-tables";
import type { CdmVersion } from "./cdm/event-sources";
import { inspectSiteSchema, missingIndexes } from "./cdm/site-schema";
import { createTableSql } from "./site-data/ddl";
import { PROTOCOL_VERSION } from "@/protocol/contract";
import { ConfigError, loadConfig, type WorkerConfig } from "./config";
import { createHubClient, HubError } from "./hub-client";
import { openLedger } from "./ledger/ledger";
import { createLogger, describeErrorSafely } from "./log";
import type { ProxySetting } from "./proxy";
import { checkDataDir } from "./self-checks";
import { checkReferencedImages, describeImageCheck } from "./imaging/check-images";
import { describeTrustedKeys } from "./governance/approvers";

/**
 * `flip-worker check`: what Trust IT runs after installing or changing the worker. Each item is
 * checked without running a task or sending a heartbeat; a failure says what to change. Output is
 * plain text for a person: never the token, the database URL or its password.
 */
type Item = { name: string; ok: boolean | null; detail?: string; fix?: string };

const DB_TIMEOUT_MS = 5_000;
const HUB_TIMEOUT_MS = 10_000;

const pass = (name: string, detail?: string): Item => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Item => ({ name, ok: false, detail, fix });
const skip = (name: string, detail: string): Item => ({ name, ok: null, detail });

export async function runCheck(env: Record<string, string | undefined>, proxy: ProxySetting): Promise<number> {
  const items: Item[] = [];
  const print = (item: Item) => {
    items.push(item);
    const mark = item.ok === true ? "✓" : item.ok === false ? "✗" : "-";
    process.stdout.write(`${mark} ${item.name}${item.detail ? `: ${item.detail}` : ""}\n`);
    if (item.fix) process.stdout.write(`    Fix: ${item.fix}\n`);
  };

  process.stdout.write(`FLIP site worker check (protocol ${PROTOCOL_VERSION}, Node ${process.versions.node})\n`);
  const config = checkConfig(print, env);
  print(proxyItem(proxy));
  if (!config) {
    for (const name of ["OMOP database", "Hub"]) print(skip(name, "not checked until the configuration is fixed"));
  } else {
    for (const item of await checkSiteDatabase(config)) print(item);
    const dataDir = await checkDataDir(config.dataDir);
    print(
      dataDir.ok
        ? pass("Image folder readable", config.dataDir)
        : fail(
            "Image folder readable",
            `${config.dataDir}: ${dataDir.message ?? "not readable"}`,
            "Give the worker's user read and list (r-x) access to FLIP_SITE_DATA_DIR.",
          ),
    );
    const images = describeImageCheck(
      await checkReferencedImages(config.siteDatabaseUrl, config.siteDbSchema, config.dataDir, DB_TIMEOUT_MS),
      config.dataDir,
    );
    print({ name: "Referenced images", ...images });
    print(checkLedger(config));
    for (const item of await checkHub(config)) print(item);
  }
  const failed = items.filter((item) => item.ok === false).length;
  process.stdout.write(
    failed === 0 ? "All checks passed.\n" : `${failed} check${failed === 1 ? "" : "s"} failed; see the fixes above.\n`,
  );
  return failed === 0 ? 0 : 1;
}

function checkConfig(print: (item: Item) => void, env: Record<string, string | undefined>): WorkerConfig | null {
  try {
    const config = loadConfig(env);
    print(pass("Configuration", `hub ${new URL(config.trpcUrl).origin}, schema ${config.siteDbSchema}`));
    print(pass("Site policy file", `${config.policyPath} (site ${config.policy.site})`));
    print(pass("Approvers' keys", describeTrustedKeys(config.policy.approvers)));
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (error.variable === "FLIP_SITE_POLICY") {
      print(pass("Configuration"));
      print(fail("Site policy file", error.message, "Write the policy file described in the worker's README."));
    } else {
      print(fail("Configuration", error.message, `Set ${error.variable} in the worker's environment file.`));
    }
    return null;
  }
}

function proxyItem(proxy: ProxySetting): Item {
  const name = "Outbound proxy";
  if (proxy.via === "none") return pass(name, "none set (HTTPS_PROXY/HTTP_PROXY unset): the hub is reached directly");
  if (proxy.via === "unsupported")
    return fail(
      name,
      `${proxy.proxy} is set but this Node cannot apply it by itself`,
      "Also set NODE_USE_ENV_PROXY=1 in the worker's environment (Node 22.21+), or run Node 24.",
    );
  return pass(name, `${proxy.proxy}${proxy.noProxy ? `, except NO_PROXY=${proxy.noProxy}` : ""}`);
}

type TableRow = { name: (typeof OMOP_TABLES)[number]; present: boolean; can_read: boolean };

async function checkSiteDatabase(config: WorkerConfig): Promise<Item[]> {
  const schema = config.siteDbSchema;
  const client = new pg.Client({
    connectionString: config.siteDatabaseUrl,
    connectionTimeoutMillis: DB_TIMEOUT_MS,
    statement_timeout: DB_TIMEOUT_MS,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    return [
      fail(
        "OMOP database reachable",
        describeErrorSafely(error),
        "Check FLIP_SITE_DATABASE_URL (host, port, database, role, password) and that the database admits this machine (pg_hba.conf, firewall).",
      ),
      skip("OMOP role is read-only", "not checked"),
      skip("OMOP tables present", "not checked"),
      skip("OMOP vocabulary loaded", "not checked"),
      skip("Recommended indexes", "not checked"),
    ];
  }
  try {
    const [role] = (
      await client.query<{ role: string; is_super: boolean; can_create: boolean | null; schema_exists: boolean }>(
        `SELECT current_user AS role,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS is_super,
                EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema_exists,
                CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)
                     THEN has_schema_privilege((SELECT oid FROM pg_namespace WHERE nspname = $1), 'CREATE') END AS can_create`,
        [schema],
      )
    ).rows;
    const writable = (
      await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
          ORDER BY c.relname`,
        [schema],
      )
    ).rows.map((row) => row.name);
    const tables = (
      await client.query<TableRow>(
        `SELECT t.name, c.oid IS NOT NULL AS present,
                coalesce(has_table_privilege(c.oid, 'SELECT'), false) AS can_read
           FROM unnest($2::text[]) WITH ORDINALITY AS t(name, position)
           LEFT JOIN pg_class c ON c.relname = t.name
                AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
          ORDER BY t.position`,
        [schema, [...OMOP_TABLES]],
      )
    ).rows;
    const { cdmVersion } = role!.schema_exists
      ? await inspectSiteSchema(
          async (text, values) => (await client.query(text, values ? [...values] : [])).rows,
          (table) => `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table)}`,
        )
      : { cdmVersion: "5.4" as const };
    const tablesOk = tablesItem(schema, role!.schema_exists, tables, role!.role, cdmVersion);
    return [
      pass("OMOP database reachable", `as role ${role!.role}`),
      readOnlyItem(role!, schema, writable),
      tablesOk,
      tablesOk.ok ? await vocabularyItem(client, schema) : skip("OMOP vocabulary loaded", "not checked"),
      await indexesItem(client, schema),
    ];
  } catch (error) {
    return [
      pass("OMOP database reachable"),
      fail("OMOP role is read-only", describeErrorSafely(error), "Check the role's access to the OMOP schema."),
      skip("OMOP tables present", "not checked"),
      skip("OMOP vocabulary loaded", "not checked"),
      skip("Recommended indexes", "not checked"),
    ];
  } finally {
    await client.end().catch(() => undefined);
  }
}

function readOnlyItem(
  role: { role: string; is_super: boolean; can_create: boolean | null },
  schema: string,
  writable: string[],
): Item {
  const name = "OMOP role is read-only";
  const q = pg.escapeIdentifier(schema);
  const r = pg.escapeIdentifier(role.role);
  if (role.is_super)
    return fail(
      name,
      `role ${role.role} is a superuser and can change the OMOP data`,
      `Create a role with only SELECT on the OMOP tables (GRANT USAGE ON SCHEMA ${q} TO <role>; GRANT SELECT ON ALL TABLES IN SCHEMA ${q} TO <role>) and use it in FLIP_SITE_DATABASE_URL.`,
    );
  const problems: string[] = [];
  if (role.can_create) problems.push(`it may create tables in schema ${schema}`);
  if (writable.length > 0)
    problems.push(
      `it may change ${writable.length} table${writable.length === 1 ? "" : "s"} (${writable.slice(0, 5).join(", ")}${writable.length > 5 ? ", ..." : ""})`,
    );
  if (problems.length === 0) return pass(name, `role ${role.role} cannot write to schema ${schema}`);
  return fail(
    name,
    `role ${role.role} can write: ${problems.join("; ")}`,
    `As the schema's owner: REVOKE CREATE ON SCHEMA ${q} FROM ${r}; REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ${q} FROM ${r} (and do not let the role own the tables), or use another role with only SELECT.`,
  );
}

/** Cohort definitions name standard concepts and their descendants: without the vocabulary nothing matches. */
async function vocabularyItem(client: pg.Client, schema: string): Promise<Item> {
  const name = "OMOP vocabulary loaded";
  const q = pg.escapeIdentifier(schema);
  const [row] = (
    await client.query<{ concepts: boolean; ancestors: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${q}.concept) AS concepts, EXISTS (SELECT 1 FROM ${q}.concept_ancestor) AS ancestors`,
    )
  ).rows;
  const empty = [row?.concepts ? null : "concept", row?.ancestors ? null : "concept_ancestor"].filter(Boolean);
  if (empty.length === 0) return pass(name, "concept and concept_ancestor have rows");
  return fail(
    name,
    `empty in schema ${schema}: ${empty.join(", ")}`,
    "Load the OHDSI Standardized Vocabularies (from Athena) into the OMOP schema: cohort criteria match standard concepts and their descendants through these tables.",
  );
}

/** Indexes the cohort statements rely on; the fix is the exact DDL for the Trust's DBA. */
async function indexesItem(client: pg.Client, schema: string): Promise<Item> {
  const q = pg.escapeIdentifier(schema);
  const missing = await missingIndexes(
    async (text, values) => (await client.query(text, values ? [...values] : [])).rows,
    (table) => `${q}.${pg.escapeIdentifier(table)}`,
  );
  if (missing.length === 0) return pass("Recommended indexes", "present");
  // Advice, not a failure: every task runs without them, only slower on a large database.
  return {
    name: "Recommended indexes",
    ok: null,
    detail: `${missing.length} missing: cohort counts run, but slowly on a large database`,
    fix: `As the tables' owner, run:\n      ${missing.map((m) => m.ddl).join("\n      ")}`,
  };
}

function tablesItem(
  schema: string,
  schemaExists: boolean,
  tables: TableRow[],
  role: string,
  version: CdmVersion,
): Item {
  const name = "OMOP tables present";
  const q = pg.escapeIdentifier(schema);
  if (!schemaExists)
    return fail(
      name,
      `schema ${schema} does not exist or role ${role} cannot see it`,
      `Set FLIP_SITE_DB_SCHEMA to the schema holding the OMOP tables, and GRANT USAGE ON SCHEMA to the role.`,
    );
  const missing = tables.filter((t) => !t.present && !isImagingTable(t.name)).map((t) => t.name);
  const noImaging = tables.some((t) => !t.present && isImagingTable(t.name));
  if (missing.length > 0) {
    const ddl = cdmTables(version, { withImaging: false })
      .filter((def) => (missing as string[]).includes(def.name))
      .map((def) => `${createTableSql(schema, def)};`.replaceAll("\n", "\n      "));
    return fail(
      name,
      `missing in schema ${schema}: ${missing.join(", ")}`,
      `Point FLIP_SITE_DB_SCHEMA at the schema that has them, or create and load them (OMOP CDM ${version}):\n      ${ddl.join("\n      ")}`,
    );
  }
  const unreadable = tables.filter((t) => !t.can_read).map((t) => t.name);
  if (unreadable.length > 0)
    return fail(
      name,
      `role ${role} may not read: ${unreadable.join(", ")}`,
      `GRANT SELECT ON ALL TABLES IN SCHEMA ${q} TO ${pg.escapeIdentifier(role)}.`,
    );
  const present = tables.filter((t) => t.present).length;
  return pass(
    name,
    `${present} tables in schema ${schema}, readable${noImaging ? "; no MI-CDM imaging tables, so imaging criteria and image models are refused" : ""}`,
  );
}

function checkLedger(config: WorkerConfig): Item {
  try {
    const ledger = openLedger(config.stateDir);
    const file = ledger.file;
    ledger.close();
    return pass("Site ledger openable", file);
  } catch (error) {
    return fail(
      "Site ledger openable",
      error instanceof Error ? error.message : String(error),
      "Make FLIP_WORKER_STATE_DIR a folder the worker's user owns and can write (e.g. /var/lib/flip-worker, mode 700), on durable storage; restore ledger.sqlite from backup if it is damaged.",
    );
  }
}

/** Codes in a failed fetch's cause chain (DNS, refused, TLS), for a fix a person can act on; else the innermost message. */
function networkCodes(error: unknown): { codes: string[]; innermost: string } {
  const codes: string[] = [];
  let innermost = "request failed";
  type Cause = { code?: unknown; cause?: unknown; message?: unknown };
  for (let e = error as Cause | undefined, depth = 0; e && depth < 6; depth++) {
    if (typeof e.code === "string") codes.push(e.code);
    if (typeof e.message === "string" && e.message) innermost = e.message;
    e = e.cause as Cause | undefined;
  }
  return { codes, innermost };
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

function unreachableFix(codes: string[]): string {
  if (codes.some((code) => TLS_CODES.test(code)))
    return "This machine does not trust the hub's certificate. If the hub (or the Trust's TLS-inspecting proxy) uses a private CA, set NODE_EXTRA_CA_CERTS=/path/to/ca-bundle.pem in the worker's environment.";
  if (codes.includes("ENOTFOUND") || codes.includes("EAI_AGAIN"))
    return "The hub's name does not resolve here: check FLIP_HUB_URL and DNS, or set HTTPS_PROXY to the Trust's proxy if direct DNS is blocked.";
  return "Check FLIP_HUB_URL, the firewall, and the Trust's proxy: set HTTPS_PROXY (and NO_PROXY for local hosts) if outbound HTTPS must go through it.";
}

async function checkHub(config: WorkerConfig): Promise<Item[]> {
  const origin = new URL(config.trpcUrl).origin;
  try {
    // Any HTTP answer proves the route (DNS, proxy, TLS); the token is checked next.
    const response = await fetch(config.trpcUrl, { signal: AbortSignal.timeout(HUB_TIMEOUT_MS) });
    await response.body?.cancel();
  } catch (error) {
    const { codes, innermost } = networkCodes(error);
    return [
      fail("Hub reachable", `${origin}: ${codes.join(" / ") || innermost}`, unreachableFix(codes)),
      skip("Site token accepted", "not checked"),
      skip("Protocol version matches", "not checked"),
    ];
  }
  const reachable = pass("Hub reachable", origin);
  const hub = createHubClient({
    trpcUrl: config.trpcUrl,
    token: config.token,
    log: createLogger({}, { write: () => undefined }),
  });
  try {
    // Releasing a task that does not exist changes nothing; the hub checks token and protocol first.
    await hub.release({ taskId: randomUUID(), leaseId: randomUUID() });
    return [reachable, fail("Site token accepted", "unexpected answer", "Report this to the FLIP hub's admins.")];
  } catch (error) {
    if (!(error instanceof HubError)) throw error;
    switch (error.kind) {
      case "not_found":
        return [reachable, tokenItem(error.message, config), pass("Protocol version matches", `${PROTOCOL_VERSION}`)];
      case "unauthorized":
        return [
          reachable,
          fail(
            "Site token accepted",
            "the hub refused FLIP_SITE_TOKEN (revoked, rotated out or mistyped)",
            "Ask a platform admin for a new site token and set FLIP_SITE_TOKEN.",
          ),
          skip("Protocol version matches", "not checked"),
        ];
      case "protocol_mismatch":
        return [
          reachable,
          pass("Site token accepted"),
          fail(
            "Protocol version matches",
            error.message,
            "Install the worker release that matches the hub's protocol version.",
          ),
        ];
      default:
        return [
          fail("Hub reachable", `${origin} answered but not as a FLIP hub: ${error.message}`, unreachableFix([])),
          skip("Site token accepted", "not checked"),
          skip("Protocol version matches", "not checked"),
        ];
    }
  }
}

/** The hub's not-found answer names the token's site; it must be the site the policy file is for. */
function tokenItem(message: string, config: WorkerConfig): Item {
  const site = /belongs to site (.+)\.$/.exec(message)?.[1];
  if (site && site !== config.policy.site)
    return fail(
      "Site token accepted",
      `the token belongs to site ${site} but the policy file is for site ${config.policy.site}`,
      "Use this site's token, or the policy file written for this site.",
    );
  return pass("Site token accepted", site ? `site ${site}` : undefined);
}
