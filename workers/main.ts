import { createImagingContext } from "./imaging/worker-imaging";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { PROTOCOL_VERSION } from "@/protocol/contract";
import { startCapabilityProbe } from "./capabilities";
import { runCheck } from "./check";
import { ConfigError, loadConfig, type WorkerConfig } from "./config";
import { startHeartbeat } from "./heartbeat";
import { createHubClient } from "./hub-client";
import { openLedger, LedgerError, type Ledger } from "./ledger/ledger";
import { runLedgerCommand } from "./ledger/ledger-cli";
import { createLogger, describeErrorSafely } from "./log";
import { applyProxyFromEnv } from "./proxy";
import { createReleaseGate } from "./release/gate";
import { createRunner } from "./runner";
import { createSiteDb } from "./site-db";
import { describeTrustedKeys } from "./governance/approvers";

/**
 * The FLIP site worker (`npm run worker`): runs inside a Trust, pulls work from the hub over
 * HTTPS and runs it on the Trust's OMOP database. Configured by environment; see workers/README.md.
 */
const EXIT_CONFIG = 2;

function readConfigOrExit(): WorkerConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Plain text for a person at a terminal, JSON for the log collector; neither ever includes the token.
    process.stderr.write(`flip worker: cannot start: ${error.message}\n`);
    createLogger().error("Cannot start: invalid configuration", { variable: error.variable, reason: error.message });
    process.exit(EXIT_CONFIG);
  }
}

/** The worker refuses to run without its ledger: every release must be recorded where the Trust can read it. */
function openLedgerOrExit(stateDir: string): Ledger {
  try {
    return openLedger(stateDir);
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    process.stderr.write(`flip worker: cannot start: ${error.message}\n`);
    createLogger().error("Cannot start: the site ledger is unreadable", { reason: error.message });
    process.exit(EXIT_CONFIG);
  }
}

function readWorkerVersion(): string {
  const manifest = z
    .object({ version: z.string().min(1).max(50) })
    .parse(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")));
  return manifest.version;
}

function main() {
  if (process.argv[2] === "ledger") process.exit(runLedgerCommand(process.argv.slice(3), process.env));
  // Before any hub call: every one of them (tRPC and the binary routes) goes through the Trust's proxy.
  const proxy = applyProxyFromEnv();
  if (process.argv[2] === "check") {
    void runCheck(process.env, proxy).then((code) => process.exit(code));
    return;
  }
  const config = readConfigOrExit();
  const log = createLogger({ site: config.policy.site });
  if (proxy.via === "unsupported")
    log.warn("HTTPS_PROXY is set but this Node cannot apply it; set NODE_USE_ENV_PROXY=1", { proxy: proxy.proxy });
  const ledger = openLedgerOrExit(config.stateDir);
  const gate = createReleaseGate({ ledger, policy: config.policy, log });
  const hub = createHubClient({ trpcUrl: config.trpcUrl, token: config.token, log });
  const siteDb = createSiteDb({
    url: config.siteDatabaseUrl,
    schema: config.siteDbSchema,
    maxConnections: config.concurrency + 2,
    log,
  });
  let clockOffsetMs = 0;
  const imaging = createImagingContext(config, log);
  const runner = createRunner({
    concurrency: config.concurrency,
    deps: {
      hub,
      log,
      policy: config.policy,
      gate,
      siteDb,
      dataDir: config.dataDir,
      imaging,
      hubNow: () => Date.now() + clockOffsetMs,
    },
  });
  let isShuttingDown = false;

  const shutdown = async (exitCode: number, graceMs: number) => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    heartbeat.stop();
    await runner.stop(graceMs);
    await Promise.race([siteDb.close(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    ledger.close();
    log.info("Worker stopped", { exitCode });
    process.exit(exitCode);
  };

  const probe = startCapabilityProbe(log);
  const heartbeat = startHeartbeat({
    hub,
    gate,
    log,
    intervalMs: config.heartbeatMs,
    workerVersion: readWorkerVersion(),
    probe,
    siteDb,
    dataDir: config.dataDir,
    imageHealth: imaging.health,
    tasksInFlight: runner.tasksInFlight,
    onClockOffset: (offsetMs) => {
      clockOffsetMs = offsetMs;
    },
    onAnswer: ({ siteCode, cancelledTaskIds }) => {
      if (siteCode !== config.policy.site) {
        // The token and the policy file belong to different sites: running either's work would be wrong.
        log.error("The hub says this token belongs to another site than the site policy file names; stopping", {
          hubSite: siteCode,
          policySite: config.policy.site,
          policyFile: config.policyPath,
        });
        void shutdown(EXIT_CONFIG, 0);
        return;
      }
      runner.cancel(cancelledTaskIds);
      // Claim only once the hub has confirmed who this site is and TF.js has finished loading.
      void probe.ready.then(() => runner.start());
    },
  });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn("Second signal: releasing running tasks now", { signal });
      void runner.stop(0);
      return;
    }
    log.info("Stopping: no new tasks will be claimed", { signal, graceMs: config.shutdownGraceMs });
    void shutdown(0, config.shutdownGraceMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("unhandledRejection", (error) => {
    log.error("Unexpected error; stopping", { error: describeErrorSafely(error) });
    void shutdown(1, config.shutdownGraceMs);
  });

  log.info("Worker started", {
    hub: new URL(config.trpcUrl).origin,
    proxy: proxy.proxy,
    noProxy: proxy.noProxy,
    protocol: PROTOCOL_VERSION,
    concurrency: config.concurrency,
    schema: config.siteDbSchema,
    allowedTaskKinds: config.policy.allowedTaskKinds.join(","),
    minCellCount: config.policy.minCellCount,
    roundingBase: config.policy.roundingBase,
    signedApprovals: config.policy.requireSignedApprovals ? "required" : "off",
    trustedApprovers: describeTrustedKeys(config.policy.approvers),
    ledger: ledger.file,
  });
}

main();
