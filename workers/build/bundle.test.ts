import { execFileSync } from "node:child_process";
import { eq } from "drizzle-orm";
import { cpSync, existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { siteHealth } from "@/db/schema";
import { startHubServer } from "@/server/lib/test-support/hub-server";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { makeSiteWithToken, waitFor, waitForTask } from "../test-support/hub-fixture";
import { createOmopFixture, FIXTURE_INVENTORY_AT_5, type OmopFixture } from "../test-support/omop-fixture";
import { killWorker, spawnWorker, type WorkerProcess } from "../test-support/worker-process";

/** The self-contained worker Trust IT installs: built, copied away from the repository, run with plain node. */
const testDb = useTestDatabase();
const adminUrl = inject("pgAdminUrl");
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let installDir: string;
let omop: OmopFixture;
let worker: WorkerProcess | undefined;
let hub: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  const buildDir = path.join(mkdtempSync(path.join(tmpdir(), "flip-worker-build-")), "out");
  execFileSync(process.execPath, ["--import", "tsx", "workers/build/build.ts", buildDir], { cwd: ROOT, stdio: "pipe" });
  // An empty folder with no node_modules anywhere above it, as on a Trust's VM.
  installDir = path.join(mkdtempSync(path.join(tmpdir(), "flip-worker-install-")), "flip-worker");
  cpSync(buildDir, installDir, { recursive: true });
  omop = await createOmopFixture(adminUrl);
  hub = await startHubServer(testDb.db());
}, 180_000);
afterAll(async () => {
  await killWorker(worker);
  await hub?.close();
  await omop?.drop();
});

describe("npm run worker:build", () => {
  test("ships the bundle, the wasm binaries, a package.json, the systemd unit and the README", () => {
    expect(readdirSync(installDir).sort()).toEqual([
      "README.md",
      "bin",
      "codecs",
      "flip-worker.env.example",
      "flip-worker.service",
      "package.json",
      "wasm",
    ]);
    expect(readdirSync(path.join(installDir, "wasm")).sort()).toEqual([
      "tfjs-backend-wasm-simd.wasm",
      "tfjs-backend-wasm-threaded-simd.wasm",
      "tfjs-backend-wasm.wasm",
    ]);
    expect(existsSync(path.join(installDir, "node_modules"))).toBe(false);
    // The DICOM codecs (JPEG-LS, JPEG 2000) start from the folder alone, each with its .wasm beside it.
    for (const [script, decoder] of [
      ["charlswasm_decode.cjs", "JpegLSDecoder"],
      ["openjpegwasm_decode.cjs", "J2KDecoder"],
    ]) {
      const probe = `require("./codecs/${script}")({ print() {} }).then((m) => process.stdout.write(typeof m.${decoder}))`;
      expect(execFileSync(process.execPath, ["-e", probe], { cwd: installDir, encoding: "utf8" })).toBe("function");
    }
  });

  test(
    "runs from an empty folder with plain node: heartbeats, loads TF.js wasm and answers the first inventory",
    { timeout: 120_000 },
    async () => {
      const { site, token } = await makeSiteWithToken(testDb.db(), "KCH");
      worker = spawnWorker({
        entry: { script: path.join(installDir, "bin", "flip-worker.mjs"), cwd: installDir },
        hubUrl: hub.url,
        token,
        siteDatabaseUrl: omop.url,
        policy: { site: "KCH", minCellCount: 5, roundingBase: 1 },
        env: { FLIP_TFJS_BACKEND: "wasm" },
      });
      const started = await worker.waitForLog((l) => l.msg === "Worker started");
      expect(started).toMatchObject({ site: "KCH", hub: hub.url });
      expect(await worker.waitForLog((l) => l.msg === "TF.js backend selected", 60_000)).toMatchObject({
        backend: "wasm",
      });
      const health = await waitFor(async () => {
        const [row] = await testDb.db().select().from(siteHealth).where(eq(siteHealth.siteId, site.id));
        return row?.workerVersion ? row : undefined;
      }, "the bundle's first heartbeat");
      expect(health.workerVersion).toBe("0.1.0");
      const task = await waitForTask(testDb.db(), site.id, (t) => t.status === "done", "the first inventory");
      expect(task.result).toEqual(FIXTURE_INVENTORY_AT_5);
      worker.child.kill("SIGTERM");
      expect(await worker.exited).toEqual({ code: 0, signal: null });
    },
  );
});
