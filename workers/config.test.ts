import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { createBackoff } from "./backoff";
import { ConfigError, loadConfig } from "./config";
import { spawnWorker, writePolicyFile } from "./test-support/worker-process";

/** A Trust's IT team configures the worker by environment; a mistake must stop it with a clear message. */
const TOKEN = "flip_st_do-not-print-this-token-anywhere";

function validEnv(overrides: Record<string, string | undefined> = {}) {
  return {
    FLIP_HUB_URL: "https://flip.example.nhs.uk",
    FLIP_SITE_TOKEN: TOKEN,
    FLIP_SITE_DATABASE_URL: "postgres://omop_reader:pw@db.trust.local:5432/omop",
    FLIP_SITE_DATA_DIR: tmpdir(),
    FLIP_SITE_POLICY: writePolicyFile({ site: "KCH" }),
    FLIP_WORKER_STATE_DIR: path.join(tmpdir(), "flip-worker-state-config-test"),
    ...overrides,
  };
}

function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a configuration error");
}

describe("worker start-up", () => {
  test(
    "without FLIP_HUB_URL the process exits 2 naming the variable and what it expects",
    { timeout: 30_000 },
    async () => {
      const worker = spawnWorker({ token: TOKEN, siteDatabaseUrl: "postgres://omop_reader@localhost/omop" });
      expect(await worker.exited).toEqual({ code: 2, signal: null });
      expect(worker.output()).toContain(
        "flip worker: cannot start: FLIP_HUB_URL: is not set; expected the hub's address, e.g. https://flip.example.nhs.uk",
      );
      expect(worker.output()).not.toContain(TOKEN);
    },
  );

  test(
    "an invalid policy file stops the process with a message naming the file and the field",
    { timeout: 30_000 },
    async () => {
      const worker = spawnWorker({
        hubUrl: "http://127.0.0.1:9",
        token: TOKEN,
        siteDatabaseUrl: "postgres://omop_reader@localhost/omop",
        policy: { site: "KCH", minCellCount: 0 },
      });
      expect(await worker.exited).toEqual({ code: 2, signal: null });
      expect(worker.output()).toContain(
        `flip worker: cannot start: FLIP_SITE_POLICY: the site policy file ${worker.policyPath} is not valid: minCellCount: Too small: expected number to be >=1`,
      );
      expect(worker.output()).not.toContain(TOKEN);
    },
  );
});

test("a site ledger that cannot be read stops the worker before it contacts the hub", { timeout: 30_000 }, async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "flip-broken-ledger-"));
  writeFileSync(path.join(stateDir, "ledger.sqlite"), "this is not a SQLite database, it was overwritten");
  chmodSync(stateDir, 0o700);
  const worker = spawnWorker({
    hubUrl: "http://127.0.0.1:9",
    token: TOKEN,
    siteDatabaseUrl: "postgres://omop_reader@localhost/omop",
    env: { FLIP_WORKER_STATE_DIR: stateDir },
  });
  expect(await worker.exited).toEqual({ code: 2, signal: null });
  expect(worker.output()).toContain(
    `flip worker: cannot start: the site ledger ${path.join(stateDir, "ledger.sqlite")} cannot be opened: file is not a database`,
  );
  expect(worker.output()).not.toContain("Worker started");
});

describe("loadConfig", () => {
  test("applies the defaults and points at the hub's tRPC endpoint", () => {
    const config = loadConfig(validEnv());
    expect(config).toMatchObject({
      trpcUrl: "https://flip.example.nhs.uk/api/trpc",
      siteDbSchema: "public",
      concurrency: 1,
      heartbeatMs: 5_000,
      shutdownGraceMs: 20_000,
      policy: {
        site: "KCH",
        allowedTaskKinds: ["site_inventory", "cohort_count"],
        minCellCount: 10,
        roundingBase: 5,
        allowFeasibility: true,
        maxFeasibilityCountsPerDay: 20,
        maxRounds: 50,
        minCohortSize: 10,
        requireDifferentialPrivacy: false,
      },
    });
  });

  test.each([
    [
      { FLIP_HUB_URL: "http://flip.example.nhs.uk" },
      "FLIP_HUB_URL: uses http:; expected an https:// address (http:// only for localhost)",
    ],
    [
      { FLIP_SITE_TOKEN: " " },
      "FLIP_SITE_TOKEN: is not set; expected the site token a platform admin issued for this site (flip_st_...)",
    ],
    [
      { FLIP_SITE_DATABASE_URL: "mysql://x@y/z" },
      "FLIP_SITE_DATABASE_URL: is not a PostgreSQL URL; expected postgres://<read-only role>@<host>:<port>/<omop database>",
    ],
    [
      { FLIP_SITE_DATA_DIR: "/no/such/folder" },
      "FLIP_SITE_DATA_DIR: is '/no/such/folder', which is not a directory; expected the folder holding the site's image files",
    ],
    [
      { FLIP_WORKER_STATE_DIR: "" },
      "FLIP_WORKER_STATE_DIR: is not set; expected a folder for the worker's own state (the site ledger), e.g. /var/lib/flip-worker",
    ],
    [{ FLIP_CONCURRENCY: "0" }, "FLIP_CONCURRENCY: is '0'; expected a whole number from 1 to 32"],
    [{ FLIP_HEARTBEAT_MS: "soon" }, "FLIP_HEARTBEAT_MS: is 'soon'; expected a whole number from 200 to 60000"],
    [
      { FLIP_DICOMWEB_URL: "https://user:pw@pacs.example/dicom-web" },
      "FLIP_DICOMWEB_URL: is not an http(s) URL without credentials; expected the DICOMweb root, e.g. https://pacs.trust.nhs.uk/dicom-web",
    ],
    [
      { FLIP_DICOMWEB_URL: "https://pacs.example/dicom-web", FLIP_DICOMWEB_AUTH_HEADER: "Bearer abc" },
      "FLIP_DICOMWEB_AUTH_HEADER: is not a header line; expected e.g. 'Authorization: Bearer <token>'",
    ],
    [
      { FLIP_DICOMWEB_URL: "https://pacs.example/dicom-web", FLIP_DICOMWEB_CLIENT_CERT: "/no/such/cert.pem" },
      "FLIP_DICOMWEB_CLIENT_CERT: is '/no/such/cert.pem', which cannot be read (ENOENT); expected a PEM file",
    ],
    [{ FLIP_IMAGE_CACHE_MB: "1" }, "FLIP_IMAGE_CACHE_MB: is '1'; expected a whole number from 16 to 10000000"],
  ])("refuses %o", (overrides, message) => {
    expect(configErrorOf(validEnv(overrides)).message).toBe(message);
  });

  test("the PACS settings: URL, one auth header, limits; without a URL there is no PACS", () => {
    expect(loadConfig(validEnv()).dicomweb).toBeUndefined();
    const config = loadConfig(
      validEnv({
        FLIP_DICOMWEB_URL: "https://pacs.example/dicom-web",
        FLIP_DICOMWEB_AUTH_HEADER: "Authorization: Bearer abc",
        FLIP_DICOMWEB_CONCURRENCY: "8",
      }),
    );
    expect(config.dicomweb).toMatchObject({
      baseUrl: "https://pacs.example/dicom-web",
      headers: { authorization: "Bearer abc" },
      concurrency: 8,
      retries: 3,
    });
    expect(config.imageCacheBytes).toBe(10_240 * 1024 * 1024);
  });

  test("a misspelt policy key is an error, not a silent default", () => {
    const path = writePolicyFile({ site: "KCH", minCellcount: 3 });
    expect(configErrorOf(validEnv({ FLIP_SITE_POLICY: path })).message).toBe(
      `FLIP_SITE_POLICY: the site policy file ${path} is not valid: (file): Unrecognized key: "minCellcount"`,
    );
  });

  test("a policy file that is not JSON says so", () => {
    const path = writePolicyFile("{ site: KCH }");
    expect(configErrorOf(validEnv({ FLIP_SITE_POLICY: path })).message).toBe(
      `FLIP_SITE_POLICY: the site policy file ${path} is not valid JSON`,
    );
  });

  test("the database URL (and its password) never appears in an error", () => {
    expect(configErrorOf(validEnv({ FLIP_SITE_DATABASE_URL: "not a url with secret-pw" })).message).not.toContain(
      "secret-pw",
    );
  });
});

describe("backoff", () => {
  test("doubles from 0.5 s to a 30 s cap with full jitter, and starts over after a success", () => {
    const ceilings = createBackoff({ random: () => 1 });
    expect(Array.from({ length: 9 }, () => ceilings.nextDelayMs())).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
    ceilings.reset();
    expect(ceilings.nextDelayMs()).toBe(500);
    expect(createBackoff({ random: () => 0 }).nextDelayMs()).toBe(0);
  });
});
