import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, describe, expect, it } from "vitest";

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const pids: number[] = [];
afterAll(() => {
  for (const pid of pids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
});

describe("shutdown", () => {
  it("signals every child even when another exit hook ends the process first", async () => {
    const subject = spawn(process.execPath, ["--import", "tsx", "server/lib/test-support/shutdown-subject.ts"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = (await once(subject.stdout, "data")) as [Buffer];
    const { stubborn, ordinary } = JSON.parse(line.toString()) as { stubborn: number; ordinary: number };
    pids.push(stubborn, ordinary);
    subject.kill("SIGTERM");
    await once(subject, "exit");
    // The ordinary child was registered first, so its cleanup would run last: only an immediate signal reaches it.
    await expect.poll(() => isAlive(ordinary), { timeout: 5_000 }).toBe(false);
  });
});
