import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { DicomwebSettings } from "./imaging/dicomweb/client";
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
  /** The Trust's PACS over DICOMweb, for image_occurrence rows that name a series instead of a local path. */
  dicomweb?: DicomwebSettings;
  /** The most the site's cache of PACS series (in the state folder) may hold. */
  imageCacheBytes: number;
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

function readPem(env: Env, name: string): string | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  try {
    return readFileSync(path.resolve(file), "utf8");
  } catch (error) {
    throw new ConfigError(
      name,
      `is '${file}', which cannot be read (${(error as NodeJS.ErrnoException).code}); expected a PEM file`,
    );
  }
}

function parseDicomweb(env: Env): DicomwebSettings | undefined {
  const raw = env.FLIP_DICOMWEB_URL?.trim();
  if (!raw) return undefined;
  let url: URL | null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || !["http:", "https:"].includes(url.protocol) || url.username || url.password)
    throw new ConfigError(
      "FLIP_DICOMWEB_URL",
      "is not an http(s) URL without credentials; expected the DICOMweb root, e.g. https://pacs.trust.nhs.uk/dicom-web",
    );
  const header = env.FLIP_DICOMWEB_AUTH_HEADER?.trim();
  const colon = header ? header.indexOf(":") : -1;
  if (header && (colon < 1 || !/^[A-Za-z0-9-]+$/.test(header.slice(0, colon))))
    throw new ConfigError(
      "FLIP_DICOMWEB_AUTH_HEADER",
      "is not a header line; expected e.g. 'Authorization: Bearer <token>'",
    );
  const tls = {
    cert: readPem(env, "FLIP_DICOMWEB_CLIENT_CERT"),
    key: readPem(env, "FLIP_DICOMWEB_CLIENT_KEY"),
    ca: readPem(env, "FLIP_DICOMWEB_CA"),
  };
  if (Boolean(tls.cert) !== Boolean(tls.key))
    throw new ConfigError("FLIP_DICOMWEB_CLIENT_KEY", "and FLIP_DICOMWEB_CLIENT_CERT must be set together");
  return {
    baseUrl: url.toString(),
    headers: header ? { [header.slice(0, colon).trim().toLowerCase()]: header.slice(colon + 1).trim() } : {},
    tls,
    concurrency: integer(env, "FLIP_DICOMWEB_CONCURRENCY", 4, 1, 32),
    retries: integer(env, "FLIP_DICOMWEB_RETRIES", 3, 0, 10),
    timeoutMs: integer(env, "FLIP_DICOMWEB_TIMEOUT_MS", 60_000, 1_000, 600_000),
    maxSeriesBytes: integer(env, "FLIP_DICOMWEB_MAX_SERIES_MB", 2_048, 1, 65_536) * 1024 * 1024,
  };
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
    dicomweb: parseDicomweb(env),
    imageCacheBytes: integer(env, "FLIP_IMAGE_CACHE_MB", 10_240, 16, 10_000_000) * 1024 * 1024,
  };
}
