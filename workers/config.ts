import { statSync } from "node:fs";
import path from "node:path";
import { loadSitePolicy, PolicyFileError, type SitePolicy } from "./policy";

export type WorkerConfig = {
  /** The hub's tRPC endpoint, e.g. https://flip.example.nhs.uk/api/trpc */
  trpcUrl: string;
  token: string;
  siteDatabaseUrl: string;
  siteDbSchema: string;
  dataDir: string;
  /** The worker's own state, the site ledger first: a folder the hub cannot reach. */
  stateDir: string;
  policyPath: string;
  policy: SitePolicy;
  concurrency: number;
  heartbeatMs: number;
  shutdownGraceMs: number;
};

/** A setting that is missing or wrong; main.ts prints it and exits with code 2. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
  ) {
    super(`${variable}: ${expected}`);
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string, expected: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, `is not set; expected ${expected}`);
  return value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `is '${raw}'; expected a whole number from ${min} to ${max}`);
  }
  return value;
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function parseHubUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("FLIP_HUB_URL", `is not a URL; expected the hub's address, e.g. https://flip.example.nhs.uk`);
  }
  // Site tokens and results cross the Trust boundary: plain HTTP is only for a hub on this machine.
  const isLoopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback)) {
    throw new ConfigError(
      "FLIP_HUB_URL",
      `uses ${url.protocol}; expected an https:// address (http:// only for localhost)`,
    );
  }
  const base = url.pathname.replace(/\/+$/, "");
  url.pathname = base.endsWith("/api/trpc") ? base : `${base}/api/trpc`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

function parseDatabaseUrl(raw: string): string {
  // Never echo the value: it usually carries the read-only role's password.
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || !["postgres:", "postgresql:"].includes(url.protocol)) {
    throw new ConfigError(
      "FLIP_SITE_DATABASE_URL",
      "is not a PostgreSQL URL; expected postgres://<read-only role>@<host>:<port>/<omop database>",
    );
  }
  return raw;
}

function parseDataDir(raw: string): string {
  const dir = path.resolve(raw);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new ConfigError(
      "FLIP_SITE_DATA_DIR",
      `is '${dir}', which is not a directory; expected the folder holding the site's image files`,
    );
  return dir;
}

function parseSchema(raw: string | undefined): string {
  const schema = raw?.trim() || "public";
  // Quoted as an identifier when used; the limits only catch obvious mistakes.
  if (schema.length > 63 || schema.includes("\0"))
    throw new ConfigError("FLIP_SITE_DB_SCHEMA", `is not a PostgreSQL schema name (at most 63 characters)`);
  return schema;
}

/** Reads and checks every setting, so a misconfigured worker stops at start-up instead of failing tasks later. */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const trpcUrl = parseHubUrl(required(env, "FLIP_HUB_URL", "the hub's address, e.g. https://flip.example.nhs.uk"));
  const token = required(env, "FLIP_SITE_TOKEN", "the site token a platform admin issued for this site (flip_st_...)");
  if (!token.startsWith("flip_st_") || /\s/.test(token))
    throw new ConfigError(
      "FLIP_SITE_TOKEN",
      "does not look like a site token; expected the value starting flip_st_ that the admin page showed once",
    );
  const siteDatabaseUrl = parseDatabaseUrl(
    required(env, "FLIP_SITE_DATABASE_URL", "postgres://<read-only role>@<host>:<port>/<omop database>"),
  );
  const dataDir = parseDataDir(required(env, "FLIP_SITE_DATA_DIR", "the folder holding the site's image files"));
  const stateDir = path.resolve(
    required(
      env,
      "FLIP_WORKER_STATE_DIR",
      "a folder for the worker's own state (the site ledger), e.g. /var/lib/flip-worker",
    ),
  );
  const policyPath = path.resolve(required(env, "FLIP_SITE_POLICY", "the path of the site's policy JSON file"));
  let policy: SitePolicy;
  try {
    policy = loadSitePolicy(policyPath);
  } catch (error) {
    if (error instanceof PolicyFileError) throw new ConfigError("FLIP_SITE_POLICY", error.message);
    throw error;
  }
  return {
    trpcUrl,
    token,
    siteDatabaseUrl,
    siteDbSchema: parseSchema(env.FLIP_SITE_DB_SCHEMA),
    dataDir,
    stateDir,
    policyPath,
    policy,
    concurrency: integer(env, "FLIP_CONCURRENCY", 1, 1, 32),
    heartbeatMs: integer(env, "FLIP_HEARTBEAT_MS", 5_000, 200, 60_000),
    shutdownGraceMs: integer(env, "FLIP_SHUTDOWN_GRACE_MS", 20_000, 0, 600_000),
  };
}
