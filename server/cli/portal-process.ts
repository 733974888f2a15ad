import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { parseHubConfig } from "@/server/config";
import { stopOnShutdown } from "@/server/lib/shutdown";

const ROOT = process.cwd();
// Next's own entry point, for the build; run with this node, not through npx.
const NEXT_BIN = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
// The portal server (`npm start`), run by this node directly so that signals reach it.
const PORTAL_SERVER = path.join(ROOT, "server", "cli", "portal-server.mjs");
/**
 * What the production build is made from: every folder the portal's code imports (`protocol/` is
 * shared with the site workers; portal-process.test.ts checks none is missing) and the files Next
 * reads itself. Not the benchmarks, the browser tests or the docs.
 */
export const BUILD_INPUTS = [
  "app",
  "server",
  "db",
  "protocol",
  "workers",
  "instrumentation.ts",
  "proxy.ts",
  "next.config.ts",
  "package-lock.json",
  "postcss.config.mjs",
  "tsconfig.json",
];

function newestMtime(entry: string): number {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) {
    if (child === "node_modules" || child.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(entry, child)));
  }
  return newest;
}

/** True when there is no production build or one of its inputs changed after it was made. */
export function isBuildStale(root = ROOT): boolean {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const builtAt = statSync(buildId).mtimeMs;
  return BUILD_INPUTS.map((entry) => path.join(root, entry)).some(
    (entry) => existsSync(entry) && newestMtime(entry) > builtAt,
  );
}

export function buildPortal(): void {
  const result = spawnSync(process.execPath, [NEXT_BIN, "build", "--turbopack"], {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (result.status !== 0) throw new Error(`next build failed with exit code ${result.status}`);
}

async function waitUntilServing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { redirect: "manual" });
      if (res.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the portal did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/** Fails fast with a clear message instead of mistaking another server on the port for ours. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`port ${port} is already in use. Stop whatever is using it, or run with PORT=<a free port>.`)
          : error,
      ),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

export type PortalEnv = { databaseUrl: string; port: number; authSecret: string; extraEnv?: Record<string, string> };

/** Runs the portal server (server/cli/portal-server.mjs) as a child with the given database, stopped with this process. */
export async function startPortal({
  databaseUrl,
  port,
  authSecret,
  extraEnv,
}: PortalEnv): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const url = `http://localhost:${port}`;
  const env = {
    ...process.env,
    ...extraEnv,
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: authSecret,
    NEXTAUTH_URL: url,
    NEXT_TELEMETRY_DISABLED: "1",
    NODE_ENV: "production" as const,
  };
  // The child checks its settings at start-up too (instrumentation.ts, exit code 2); checking them
  // here first reports a bad one as a ConfigError rather than as an early exit.
  parseHubConfig(env);
  await assertPortFree(port);
  const child = spawn(process.execPath, [PORTAL_SERVER, "-p", String(port)], {
    stdio: ["ignore", "inherit", "inherit"],
    env,
  });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(
        new Error(
          code === 2
            ? "the portal refused its configuration (see the message above)"
            : `the portal exited early (code ${code})`,
        ),
      ),
    ),
  );
  stopOnShutdown(child);
  await Promise.race([waitUntilServing(`${url}/signin`, 120_000), exited]);
  // Serving: an exit from now on is a stop, not a failed start.
  exited.catch(() => undefined);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return { url, pid: child.pid!, stop };
}
