import { availableParallelism } from "node:os";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseHubConfig } from "./config";

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseHubConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("the configuration was accepted");
}

describe("hub configuration", () => {
  it("gives every setting its default when nothing is set", () => {
    expect(parseHubConfig({})).toEqual({
      DATABASE_URL: undefined,
      PORT: 3000,
      DEMO_PASSWORD: undefined,
      NEXTAUTH_SECRET: undefined,
      NEXTAUTH_URL: undefined,
      FLIP_SIGNIN_MAX_PER_EMAIL: 5,
      FLIP_SIGNIN_MAX_PER_IP: 30,
      FLIP_PASSWORD_HASH_CONCURRENCY: Math.max(1, Math.floor(availableParallelism() / 2)),
      FLIP_TRUSTED_PROXIES: undefined,
      FLIP_SESSION_IDLE_MINUTES: 30,
      FLIP_SESSION_MAX_HOURS: 12,
      FLIP_AUTH_CACHE_SECONDS: 60,
      FLIP_MFA_RESEARCHERS: "optional",
      FLIP_FACTOR_KEY: undefined,
      FLIP_OIDC_ISSUER: undefined,
      FLIP_OIDC_CLIENT_ID: undefined,
      FLIP_OIDC_CLIENT_SECRET: undefined,
      FLIP_OIDC_ALLOWED_DOMAINS: [],
      FLIP_OIDC_DISPLAY_NAME: "single sign-on",
      FLIP_OIDC_SELF_REGISTRATION: false,
      FLIP_PASSWORD_SIGNIN: true,
      FLIP_EMBEDDED_PG_PORT: 54329,
      FLIP_DEMO_PERSONS: 5000,
      FLIP_SITES_ADMIN_URL: undefined,
      FLIP_ARTIFACT_STORE: "postgres",
      FLIP_DATA_DIR: path.resolve(".data"),
      FLIP_ARTIFACT_CACHE_MB: 256,
      FLIP_MAX_UPDATE_BYTES: 256 * 1024 * 1024,
      FLIP_UPDATE_CONCURRENCY: 4,
      FLIP_UPDATE_QUEUE_MAX: 1000,
      FLIP_API_CONCURRENCY: 8,
      FLIP_API_QUEUE_MAX: 2000,
      FLIP_API_QUEUE_MAX_PER_CALLER: 100,
      FLIP_MAX_TRPC_BODY_BYTES: 1024 * 1024,
      FLIP_JOB_TICK_MS: 1000,
      FLIP_LEASE_SWEEP_MS: 5000,
      FLIP_FEASIBILITY_LIMIT_PER_DAY: 3,
      FLIP_DB_POOL_MAX: 10,
      FLIP_DB_POOL_IDLE_S: 600,
      FLIP_METRICS_TOKEN: undefined,
      FLIP_SMTP_URL: undefined,
      FLIP_MAIL_FROM: "flip-portal@localhost",
      FLIP_LOG_LEVEL: "info",
    });
  });

  it("treats a blank value as unset", () => {
    expect(parseHubConfig({ PORT: " ", DATABASE_URL: "", FLIP_SIGNIN_MAX_PER_EMAIL: "" })).toMatchObject({
      PORT: 3000,
      DATABASE_URL: undefined,
      FLIP_SIGNIN_MAX_PER_EMAIL: 5,
    });
  });

  it("reads valid values with their types", () => {
    const secret = "s".repeat(32);
    expect(
      parseHubConfig({
        DATABASE_URL: "postgres://flip:pw@db.example:5432/flip",
        PORT: "8080",
        DEMO_PASSWORD: "correct horse battery",
        NEXTAUTH_SECRET: secret,
        NEXTAUTH_URL: "https://flip.example.nhs.uk",
        FLIP_SIGNIN_MAX_PER_EMAIL: "7",
        FLIP_SIGNIN_MAX_PER_IP: " 100 ",
        FLIP_PASSWORD_HASH_CONCURRENCY: "3",
        FLIP_TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.10, 2001:db8::/32",
        FLIP_SESSION_IDLE_MINUTES: "45",
        FLIP_SESSION_MAX_HOURS: "8",
        FLIP_AUTH_CACHE_SECONDS: "0",
        FLIP_MFA_RESEARCHERS: "required",
        FLIP_FACTOR_KEY: Buffer.alloc(32, 7).toString("base64"),
        FLIP_EMBEDDED_PG_PORT: "65535",
        FLIP_DEMO_PERSONS: "200",
        FLIP_SITES_ADMIN_URL: "postgresql://postgres@db.example/postgres",
        FLIP_ARTIFACT_STORE: "disk",
        FLIP_DATA_DIR: "/var/lib/flip",
        FLIP_ARTIFACT_CACHE_MB: "0",
        FLIP_MAX_UPDATE_BYTES: "1048576",
        FLIP_UPDATE_CONCURRENCY: "2",
        FLIP_UPDATE_QUEUE_MAX: "0",
        FLIP_API_CONCURRENCY: "64",
        FLIP_API_QUEUE_MAX: "0",
        FLIP_API_QUEUE_MAX_PER_CALLER: "5",
        FLIP_MAX_TRPC_BODY_BYTES: "65536",
        FLIP_JOB_TICK_MS: "250",
        FLIP_LEASE_SWEEP_MS: "10000",
        FLIP_FEASIBILITY_LIMIT_PER_DAY: "1",
        FLIP_DB_POOL_MAX: "20",
        FLIP_DB_POOL_IDLE_S: "30",
        FLIP_METRICS_TOKEN: "m".repeat(40),
        FLIP_SMTP_URL: "smtps://flip:pw@smtp.example.nhs.uk:465",
        FLIP_MAIL_FROM: "flip-portal@example.nhs.uk",
        FLIP_LOG_LEVEL: "debug",
      }),
    ).toEqual({
      DATABASE_URL: "postgres://flip:pw@db.example:5432/flip",
      PORT: 8080,
      DEMO_PASSWORD: "correct horse battery",
      NEXTAUTH_SECRET: secret,
      NEXTAUTH_URL: "https://flip.example.nhs.uk",
      FLIP_SIGNIN_MAX_PER_EMAIL: 7,
      FLIP_SIGNIN_MAX_PER_IP: 100,
      FLIP_PASSWORD_HASH_CONCURRENCY: 3,
      FLIP_TRUSTED_PROXIES: "10.0.0.0/8, 192.0.2.10, 2001:db8::/32",
      FLIP_SESSION_IDLE_MINUTES: 45,
      FLIP_SESSION_MAX_HOURS: 8,
      FLIP_AUTH_CACHE_SECONDS: 0,
      FLIP_MFA_RESEARCHERS: "required",
      FLIP_FACTOR_KEY: Buffer.alloc(32, 7).toString("base64"),
      FLIP_OIDC_ALLOWED_DOMAINS: [],
      FLIP_OIDC_DISPLAY_NAME: "single sign-on",
      FLIP_OIDC_SELF_REGISTRATION: false,
      FLIP_PASSWORD_SIGNIN: true,
      FLIP_EMBEDDED_PG_PORT: 65535,
      FLIP_DEMO_PERSONS: 200,
      FLIP_SITES_ADMIN_URL: "postgresql://postgres@db.example/postgres",
      FLIP_ARTIFACT_STORE: "disk",
      FLIP_DATA_DIR: "/var/lib/flip",
      FLIP_ARTIFACT_CACHE_MB: 0,
      FLIP_MAX_UPDATE_BYTES: 1048576,
      FLIP_UPDATE_CONCURRENCY: 2,
      FLIP_UPDATE_QUEUE_MAX: 0,
      FLIP_API_CONCURRENCY: 64,
      FLIP_API_QUEUE_MAX: 0,
      FLIP_API_QUEUE_MAX_PER_CALLER: 5,
      FLIP_MAX_TRPC_BODY_BYTES: 65536,
      FLIP_JOB_TICK_MS: 250,
      FLIP_LEASE_SWEEP_MS: 10000,
      FLIP_FEASIBILITY_LIMIT_PER_DAY: 1,
      FLIP_DB_POOL_MAX: 20,
      FLIP_DB_POOL_IDLE_S: 30,
      FLIP_METRICS_TOKEN: "m".repeat(40),
      FLIP_SMTP_URL: "smtps://flip:pw@smtp.example.nhs.uk:465",
      FLIP_MAIL_FROM: "flip-portal@example.nhs.uk",
      FLIP_LOG_LEVEL: "debug",
    });
  });

  it("refuses a trusted proxy that is not an address or range", () => {
    expect(() => parseHubConfig({ FLIP_TRUSTED_PROXIES: "10.0.0.0/8, proxy.internal" })).toThrow(
      'FLIP_TRUSTED_PROXIES must be IP addresses or CIDR ranges, comma-separated (like "10.0.0.0/8, 192.0.2.10")',
    );
    expect(() => parseHubConfig({ FLIP_TRUSTED_PROXIES: "10.0.0.0/40" })).toThrow(/FLIP_TRUSTED_PROXIES must be/);
  });

  it("refuses a mail server that is not an SMTP URL without echoing it, and a sender that is not an address", () => {
    expect(() => parseHubConfig({ FLIP_SMTP_URL: "https://user:secret@smtp.example" })).toThrow(
      "FLIP_SMTP_URL must be a URL like smtps://flip:password@smtp.example.nhs.uk:465 (the value is not shown: it may hold a password)",
    );
    expect(() => parseHubConfig({ FLIP_SMTP_URL: "https://user:secret@smtp.example" })).not.toThrow(/secret/);
    expect(() => parseHubConfig({ FLIP_MAIL_FROM: "FLIP portal" })).toThrow(
      "FLIP_MAIL_FROM must be an e-mail address like flip-portal@example.nhs.uk",
    );
  });

  it("refuses a short metrics token without echoing it, and an unknown log level", () => {
    expect(() => parseHubConfig({ FLIP_METRICS_TOKEN: "short-secret" })).toThrow(
      "FLIP_METRICS_TOKEN must be at least 32 characters (e.g. `openssl rand -base64 32`; the value is not shown)",
    );
    expect(() => parseHubConfig({ FLIP_METRICS_TOKEN: "short-secret" })).not.toThrow(/short-secret/);
    expect(() => parseHubConfig({ FLIP_MFA_RESEARCHERS: "sometimes" })).toThrow(
      'FLIP_MFA_RESEARCHERS must be "optional" or "required" (got "sometimes")',
    );
    expect(() => parseHubConfig({ FLIP_FACTOR_KEY: "c2hvcnQ=" })).toThrow(/FLIP_FACTOR_KEY must be 32 random bytes/);
    expect(() => parseHubConfig({ FLIP_FACTOR_KEY: "c2hvcnQ=" })).not.toThrow(/c2hvcnQ/);
    expect(parseHubConfig({ FLIP_FACTOR_KEY: Buffer.alloc(32, 7).toString("base64") }).FLIP_FACTOR_KEY).toBeDefined();
    expect(() => parseHubConfig({ FLIP_LOG_LEVEL: "loud" })).toThrow(
      'FLIP_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    );
  });

  // The four values that used to become NaN and silently switch a protection off.
  it.each([
    ["FLIP_SIGNIN_MAX_PER_EMAIL", "five", 'FLIP_SIGNIN_MAX_PER_EMAIL must be a positive whole number (got "five")'],
    ["FLIP_MAX_UPDATE_BYTES", "abc", 'FLIP_MAX_UPDATE_BYTES must be a positive whole number of bytes (got "abc")'],
    [
      "FLIP_FEASIBILITY_LIMIT_PER_DAY",
      "3 per day",
      'FLIP_FEASIBILITY_LIMIT_PER_DAY must be a positive whole number (got "3 per day")',
    ],
    ["FLIP_JOB_TICK_MS", "x", 'FLIP_JOB_TICK_MS must be a whole number of milliseconds from 100 to 3600000 (got "x")'],
  ])("refuses %s=%s, naming the variable and what it expects", (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([message]);
  });

  it.each([
    ["FLIP_SIGNIN_MAX_PER_EMAIL", "0"],
    ["FLIP_SIGNIN_MAX_PER_IP", "-1"],
    ["FLIP_MAX_UPDATE_BYTES", "2.5"],
    ["FLIP_MAX_UPDATE_BYTES", "1e9"],
    ["FLIP_FEASIBILITY_LIMIT_PER_DAY", "0"],
    ["FLIP_JOB_TICK_MS", "0"],
    ["FLIP_LEASE_SWEEP_MS", "99"],
    ["PORT", "0"],
    ["PORT", "65536"],
    ["FLIP_EMBEDDED_PG_PORT", "port"],
    ["FLIP_DB_POOL_MAX", "0"],
    ["FLIP_DB_POOL_MAX", "3"],
    ["FLIP_DB_POOL_IDLE_S", "0"],
    ["FLIP_DB_POOL_IDLE_S", "90000"],
    ["FLIP_ARTIFACT_CACHE_MB", "-5"],
    ["FLIP_DEMO_PERSONS", "many"],
    ["FLIP_ARTIFACT_STORE", "s3"],
    ["NEXTAUTH_URL", "flip.example.nhs.uk"],
    ["NEXTAUTH_SECRET", "short"],
  ])("refuses %s=%s", (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} must `));
  });

  it("refuses a database URL without echoing it, since it may hold a password", () => {
    for (const name of ["DATABASE_URL", "FLIP_SITES_ADMIN_URL"]) {
      const problems = problemsOf({ [name]: "mysql://root:hunter2@db/flip" });
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^${name} must be a URL like postgres://`))]);
      expect(problems[0]).not.toContain("hunter2");
    }
  });

  it("names the artifact store's choices", () => {
    expect(problemsOf({ FLIP_ARTIFACT_STORE: "s3" })).toEqual([
      'FLIP_ARTIFACT_STORE must be "postgres" or "disk" (got "s3")',
    ]);
  });

  it("reports every bad setting at once", () => {
    expect(problemsOf({ PORT: "http", FLIP_JOB_TICK_MS: "x", FLIP_DB_POOL_MAX: "lots" })).toHaveLength(3);
  });

  it("requires NEXTAUTH_SECRET in production", () => {
    expect(problemsOf({ NODE_ENV: "production" })).toEqual([
      expect.stringMatching(/^NEXTAUTH_SECRET must be set in production/),
    ]);
    expect(parseHubConfig({ NODE_ENV: "production", NEXTAUTH_SECRET: "k".repeat(43) }).NEXTAUTH_SECRET).toBe(
      "k".repeat(43),
    );
  });
});

describe("hub entry points with a bad setting", () => {
  // Without DATABASE_URL the demo would start an embedded PostgreSQL under FLIP_DATA_DIR; an empty
  // directory afterwards shows it stopped before starting anything.
  function run(args: string[], env: Record<string, string>) {
    const dataDir = mkdtempSync(path.join(tmpdir(), "flip-config-"));
    try {
      const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, FLIP_DATA_DIR: dataDir };
      delete childEnv.DATABASE_URL;
      const result = spawnSync(process.execPath, ["--import", "tsx", ...args], {
        env: childEnv,
        encoding: "utf8",
        timeout: 25_000,
      });
      return { status: result.status, stderr: result.stderr, created: readdirSync(dataDir) };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  it("the demo exits with code 2 and names the variable before starting a database", () => {
    const { status, stderr, created } = run(["server/cli/demo.ts"], { FLIP_MAX_UPDATE_BYTES: "abc" });
    expect(stderr).toContain('FLIP_MAX_UPDATE_BYTES must be a positive whole number of bytes (got "abc")');
    expect(status).toBe(2);
    expect(created).toEqual([]);
  });

  it("the portal server exits with code 2 at start-up (instrumentation.ts)", () => {
    const { status, stderr } = run(
      ["--input-type=module", "-e", "const { register } = await import('./instrumentation.ts'); await register();"],
      { NEXT_RUNTIME: "nodejs", FLIP_JOB_TICK_MS: "x" },
    );
    expect(stderr).toContain('FLIP_JOB_TICK_MS must be a whole number of milliseconds from 100 to 3600000 (got "x")');
    expect(status).toBe(2);
  });
});
