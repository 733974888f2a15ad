import { availableParallelism } from "node:os";
import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";

/**
 * Every environment variable the hub reads, checked in one place. A malformed value stops
 * start-up (exit code 2) instead of quietly becoming NaN and switching a protection off: a
 * NaN sign-in limit never locks an account, a NaN upload limit accepts anything, a NaN tick
 * runs the job coordinator every millisecond. Next.js's own variables (NODE_ENV, NEXT_RUNTIME,
 * NEXT_PHASE) are read where they are needed. The site worker has its own: workers/config.ts.
 */

type Env = Record<string, string | undefined>;

/** Unset and blank are the same: `PORT=` means the default. */
const blankAsUnset = (raw: string | undefined) => raw?.trim() || undefined;

function wholeNumber(fallback: number, min: number, max: number, expected: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const text = blankAsUnset(raw);
      if (text === undefined) return fallback;
      const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
      if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
      ctx.addIssue({ code: "custom", message: `must be ${expected} (got ${JSON.stringify(text)})` });
      return z.NEVER;
    });
}

const positive = (fallback: number, unit = "") =>
  wholeNumber(fallback, 1, Number.MAX_SAFE_INTEGER, `a positive whole number${unit}`);
const between = (fallback: number, min: number, max: number, unit = "") =>
  wholeNumber(fallback, min, max, `a whole number${unit} from ${min} to ${max}`);
const port = (fallback: number) => wholeNumber(fallback, 1, 65_535, "a port number from 1 to 65535");
const interval = (fallback: number) => between(fallback, 100, 3_600_000, " of milliseconds");

function url(protocols: string[], example: string, { isSecret }: { isSecret: boolean }) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const text = blankAsUnset(raw);
      if (text === undefined) return undefined;
      if (URL.canParse(text) && protocols.includes(new URL(text).protocol)) return text;
      // A database URL usually carries a password, so it is never echoed.
      const got = isSecret ? "the value is not shown: it may hold a password" : `got ${JSON.stringify(text)}`;
      ctx.addIssue({ code: "custom", message: `must be a URL like ${example} (${got})` });
      return z.NEVER;
    });
}

const postgresUrl = (example: string) => url(["postgres:", "postgresql:"], example, { isSecret: true });

const optionalText = z
  .string()
  .optional()
  .transform((raw) => blankAsUnset(raw));

const MIN_SECRET_LENGTH = 32;

function onOff(fallback: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const text = blankAsUnset(raw)?.toLowerCase();
      if (text === undefined) return fallback;
      if (text === "true" || text === "false") return text === "true";
      ctx.addIssue({ code: "custom", message: `must be "true" or "false" (got ${JSON.stringify(raw)})` });
      return z.NEVER;
    });
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Comma-separated e-mail domains, kept lower-case: "nhs.net, nhs.uk". */
const domainList = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const domains = (raw ?? "")
      .split(",")
      .map((d) => d.trim().toLowerCase())
      .filter(Boolean);
    const bad = domains.filter((d) => !DOMAIN.test(d));
    if (bad.length === 0) return domains;
    ctx.addIssue({
      code: "custom",
      message: `must be e-mail domains, comma-separated (like "nhs.net, nhs.uk"); not a domain: ${bad.map((d) => JSON.stringify(d)).join(", ")}`,
    });
    return z.NEVER;
  });

function isAddressOrRange(entry: string): boolean {
  const [address = "", bits, ...rest] = entry.split("/");
  const family = isIP(address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ""));
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
}

/** Keys are the variables' names; README.md's Configuration table lists each (a test checks). */
export const HUB_CONFIG_SCHEMA = z.object({
  DATABASE_URL: postgresUrl("postgres://flip@db.example.nhs.uk:5432/flip"),
  PORT: port(3000),
  DEMO_PASSWORD: optionalText,
  NEXTAUTH_SECRET: optionalText.refine((value) => value === undefined || value.length >= MIN_SECRET_LENGTH, {
    message: `must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`)`,
  }),
  NEXTAUTH_URL: url(["http:", "https:"], "https://flip.example.nhs.uk", { isSecret: false }),
  /** The WebAuthn relying party id passkeys are bound to: NEXTAUTH_URL's host or a domain it is under. */
  FLIP_WEBAUTHN_RP_ID: optionalText.refine((value) => value === undefined || /^[a-z0-9.-]+$/i.test(value), {
    message: 'must be a host name without scheme or port (like "flip.example.nhs.uk")',
  }),
  FLIP_SIGNIN_MAX_PER_EMAIL: positive(5),
  FLIP_SIGNIN_MAX_PER_IP: positive(30),
  /** Password hashes run at once in one portal process; the default leaves half the cores to everyone else. */
  FLIP_PASSWORD_HASH_CONCURRENCY: between(Math.max(1, Math.floor(availableParallelism() / 2)), 1, 256),
  /** Reverse proxies whose X-Forwarded-For is believed: IPs and CIDR ranges, comma-separated. Unset: none. */
  FLIP_TRUSTED_PROXIES: optionalText.refine(
    (value) =>
      (value ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .every(isAddressOrRange),
    { message: 'must be IP addresses or CIDR ranges, comma-separated (like "10.0.0.0/8, 192.0.2.10")' },
  ),
  /** A session nobody has used for this long ends; the person signs in again. */
  FLIP_SESSION_IDLE_MINUTES: between(30, 1, 24 * 60, " of minutes"),
  /** A session ends this long after sign-in, however busy. */
  FLIP_SESSION_MAX_HOURS: between(12, 1, 30 * 24, " of hours"),
  /** How long a portal process may keep who a session or site token is between changes it hears of (0: read per request). */
  FLIP_AUTH_CACHE_SECONDS: between(60, 0, 600, " of seconds"),
  /** Second factor for researchers: "optional" (default) or "required". Admins and approvers always need one. */
  FLIP_MFA_RESEARCHERS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const text = blankAsUnset(raw) ?? "optional";
      if (text === "optional" || text === "required") return text;
      ctx.addIssue({ code: "custom", message: `must be "optional" or "required" (got ${JSON.stringify(text)})` });
      return z.NEVER;
    }),
  /** Key that encrypts authenticator-app secrets at rest: 32 bytes, base64. Unset: generated under FLIP_DATA_DIR. Never echoed. */
  FLIP_FACTOR_KEY: optionalText.refine((value) => value === undefined || Buffer.from(value, "base64").length === 32, {
    message: "must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`; the value is not shown)",
  }),
  /** Single sign-on: the OpenID provider's issuer URL; its discovery document is read from <issuer>/.well-known/openid-configuration. */
  FLIP_OIDC_ISSUER: url(["http:", "https:"], "https://login.microsoftonline.com/<tenant>/v2.0", { isSecret: false }),
  FLIP_OIDC_CLIENT_ID: optionalText,
  FLIP_OIDC_CLIENT_SECRET: optionalText,
  FLIP_OIDC_ALLOWED_DOMAINS: domainList,
  FLIP_OIDC_DISPLAY_NAME: z
    .string()
    .optional()
    .transform((raw) => blankAsUnset(raw) ?? "single sign-on"),
  /** A verified e-mail with no account gets a new role-less account instead of a refusal. */
  FLIP_OIDC_SELF_REGISTRATION: onOff(false),
  FLIP_PASSWORD_SIGNIN: onOff(true),
  FLIP_EMBEDDED_PG_PORT: port(54329),
  FLIP_DEMO_PERSONS: between(5000, 1, 10_000_000),
  FLIP_SITES_ADMIN_URL: postgresUrl("postgres://postgres@db.example.nhs.uk:5432/postgres"),
  FLIP_ARTIFACT_STORE: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const text = blankAsUnset(raw) ?? "postgres";
      if (text === "postgres" || text === "disk") return text;
      ctx.addIssue({ code: "custom", message: `must be "postgres" or "disk" (got ${JSON.stringify(text)})` });
      return z.NEVER;
    }),
  /** Resolved to an absolute path once, at start-up. */
  FLIP_DATA_DIR: z
    .string()
    .optional()
    .transform((raw) => path.resolve(blankAsUnset(raw) ?? ".data")),
  FLIP_ARTIFACT_CACHE_MB: between(256, 0, 1_048_576, " of megabytes"),
  FLIP_MAX_UPDATE_BYTES: positive(256 * 1024 * 1024, " of bytes"),
  FLIP_UPDATE_CONCURRENCY: between(4, 1, 256),
  FLIP_UPDATE_QUEUE_MAX: between(1_000, 0, 100_000),
  FLIP_API_CONCURRENCY: between(8, 1, 1_000),
  FLIP_API_QUEUE_MAX: between(2_000, 0, 100_000),
  FLIP_API_QUEUE_MAX_PER_CALLER: between(100, 0, 100_000),
  FLIP_MAX_TRPC_BODY_BYTES: positive(1024 * 1024, " of bytes"),
  FLIP_JOB_TICK_MS: interval(1_000),
  FLIP_LEASE_SWEEP_MS: interval(5_000),
  FLIP_FEASIBILITY_LIMIT_PER_DAY: positive(3),
  // Two are held for good (the round exchange's and, in the leader, the background work's lock); two at least for requests.
  FLIP_DB_POOL_MAX: between(10, 4, 1_000),
  // Longer than a round's training, so a round's burst of requests finds its connections open (db/client.ts).
  FLIP_DB_POOL_IDLE_S: between(600, 1, 86_400, " of seconds"),
  /** Bearer token Prometheus sends to /api/metrics; unset, the endpoint answers 404. Never echoed. */
  FLIP_METRICS_TOKEN: optionalText.refine((value) => value === undefined || value.length >= MIN_SECRET_LENGTH, {
    message: `must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -base64 32\`; the value is not shown)`,
  }),
  /** The mail server approvers' e-mail goes through; unset, the outbox keeps mail unsent. May carry a password: never echoed. */
  FLIP_SMTP_URL: url(["smtp:", "smtps:"], "smtps://flip:password@smtp.example.nhs.uk:465", { isSecret: true }),
  FLIP_MAIL_FROM: optionalText
    .refine((value) => value === undefined || z.email().safeParse(value).success, {
      message: "must be an e-mail address like flip-portal@example.nhs.uk",
    })
    .transform((value) => value ?? "flip-portal@localhost"),
  FLIP_LOG_LEVEL: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const text = blankAsUnset(raw) ?? "info";
      const levels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
      const level = levels.find((l) => l === text);
      if (level) return level;
      ctx.addIssue({ code: "custom", message: `must be one of ${levels.join(", ")} (got ${JSON.stringify(text)})` });
      return z.NEVER;
    }),
});

export type HubConfig = z.output<typeof HUB_CONFIG_SCHEMA>;

/** One or more settings that are wrong; each problem names its variable and what is expected. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

/** Checks the given environment (process.env, or a test's own object) and returns the typed settings. */
export function parseHubConfig(env: Env): HubConfig {
  const result = HUB_CONFIG_SCHEMA.safeParse(env);
  const problems = result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
  // next-auth refuses every request in production without a signing key; say so at start-up instead.
  if (env.NODE_ENV === "production" && !blankAsUnset(env.NEXTAUTH_SECRET))
    problems.push(`NEXTAUTH_SECRET must be set in production (at least ${MIN_SECRET_LENGTH} random characters)`);
  if (result.success) problems.push(...ssoProblems(result.data));
  if (result.success) problems.push(...relyingPartyProblems(result.data));
  if (problems.length || !result.success) throw new ConfigError(problems);
  return result.data;
}

/** Browsers accept a passkey only for the page's own host or a domain it is under. */
function relyingPartyProblems(config: HubConfig): string[] {
  const rpId = config.FLIP_WEBAUTHN_RP_ID?.toLowerCase();
  if (!rpId || !config.NEXTAUTH_URL) return [];
  const host = new URL(config.NEXTAUTH_URL).hostname;
  if (host === rpId || host.endsWith(`.${rpId}`)) return [];
  return [`FLIP_WEBAUTHN_RP_ID must be NEXTAUTH_URL's host (${host}) or a domain it is under (got "${rpId}")`];
}

/** Single sign-on is all or nothing: an issuer needs its client and domains, and switching passwords off needs SSO. */
function ssoProblems(config: HubConfig): string[] {
  const required = {
    FLIP_OIDC_CLIENT_ID: config.FLIP_OIDC_CLIENT_ID,
    FLIP_OIDC_CLIENT_SECRET: config.FLIP_OIDC_CLIENT_SECRET,
    FLIP_OIDC_ALLOWED_DOMAINS: config.FLIP_OIDC_ALLOWED_DOMAINS.length ? "set" : undefined,
  };
  if (config.FLIP_OIDC_ISSUER) {
    return Object.entries(required)
      .filter(([, value]) => value === undefined)
      .map(([name]) => `${name} must be set when FLIP_OIDC_ISSUER is (single sign-on needs it)`);
  }
  const stray = Object.entries(required).filter(([, value]) => value !== undefined);
  return [
    ...stray.map(([name]) => `${name} is set but FLIP_OIDC_ISSUER is not: set the issuer to turn single sign-on on`),
    ...(config.FLIP_PASSWORD_SIGNIN
      ? []
      : ["FLIP_PASSWORD_SIGNIN=false needs single sign-on (FLIP_OIDC_ISSUER and its settings): nobody could sign in"]),
  ];
}

let cached: HubConfig | undefined;

/** This process's settings, read from process.env on first use and kept. */
export function getHubConfig(): HubConfig {
  cached ??= parseHubConfig(process.env);
  return cached;
}

export function describeConfigError(error: ConfigError): string {
  return `The hub's configuration is invalid; fix the environment and start again:\n${error.problems.map((p) => `  ${p}`).join("\n")}`;
}

/** For entry points: the settings, or the problems on stderr and exit code 2 before anything starts. */
export function getHubConfigOrExit(): HubConfig {
  try {
    return getHubConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(describeConfigError(error));
    process.exit(2);
  }
}
