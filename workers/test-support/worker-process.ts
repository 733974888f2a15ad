import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURE_SCHEMA } from "./omop-fixture";

/** A real `workers/main.ts` process, as a Trust runs it, with its log lines parsed. */
export type LogLine = { level: string; msg: string; [field: string]: unknown };

export type WorkerProcess = {
  child: ChildProcess;
  logs: LogLine[];
  /** Everything written to stdout and stderr, for "never prints X" checks. */
  output: () => string;
  waitForLog: (match: (line: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  policyPath: string;
  /** FLIP_WORKER_STATE_DIR: the site ledger is in here. */
  stateDir: string;
};

export type WorkerOptions = {
  hubUrl?: string;
  token?: string;
  siteDatabaseUrl?: string;
  policy?: Record<string, unknown> | string;
  env?: Record<string, string | undefined>;
  /** Arguments after `workers/main.ts`, e.g. ["check"]. */
  args?: string[];
  /** Another build of the worker to run with plain node, e.g. the self-contained bundle. */
  entry?: { script: string; cwd: string };
};

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function writePolicyFile(policy: Record<string, unknown> | string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "flip-policy-")), "site-policy.json");
  writeFileSync(file, typeof policy === "string" ? policy : JSON.stringify(policy));
  return file;
}

export function spawnWorker(options: WorkerOptions): WorkerProcess {
  const policyPath = writePolicyFile(options.policy ?? { site: "KCH" });
  const stateDir = mkdtempSync(path.join(tmpdir(), "flip-worker-state-"));
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FLIP_HUB_URL: options.hubUrl,
    FLIP_SITE_TOKEN: options.token,
    FLIP_SITE_DATABASE_URL: options.siteDatabaseUrl,
    FLIP_SITE_DB_SCHEMA: FIXTURE_SCHEMA,
    FLIP_SITE_DATA_DIR: tmpdir(),
    FLIP_SITE_POLICY: policyPath,
    FLIP_WORKER_STATE_DIR: stateDir,
    FLIP_HEARTBEAT_MS: "300",
    // TF.js detection is not under test here; the cpu backend starts fastest.
    FLIP_TFJS_BACKEND: "cpu",
    ...options.env,
  };
  const command = options.entry
    ? [options.entry.script, ...(options.args ?? [])]
    : ["--import", "tsx", "workers/main.ts", ...(options.args ?? [])];
  const child = spawn(process.execPath, command, {
    cwd: options.entry?.cwd ?? REPO_ROOT,
    env: { ...dropUndefined(env), NODE_ENV: "test" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  let raw = "";
  const listeners = new Set<() => void>();
  let pending = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    raw += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: "raw", msg: line });
      }
    }
    for (const notify of listeners) notify();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    raw += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );

  const waitForLog = (match: (line: LogLine) => boolean, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (!found) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`worker did not log the expected line; output so far:\n${raw.slice(-3000)}`));
      }, timeoutMs);
      if (!check()) listeners.add(check);
    });

  return { child, logs, output: () => raw, waitForLog, exited, policyPath, stateDir };
}

/** Stops a worker that a test left running; SIGKILL so a failed test cannot hang the suite. */
export async function killWorker(worker: WorkerProcess | undefined): Promise<void> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill("SIGKILL");
  await worker.exited;
}

function dropUndefined(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
