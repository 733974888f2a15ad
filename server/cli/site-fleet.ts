import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { sites } from "@/db/schema";
import { issueSiteToken } from "@/server/site-network/site-tokens.service";
import { stopOnShutdown } from "@/server/lib/shutdown";
import {
  generateSiteData,
  isCurrentSiteData,
  SiteDataExistsError,
  type GenerateProgress,
} from "@/workers/site-data/generate";
import { provisionSiteDatabase } from "@/workers/site-data/provision";

/**
 * The demo's Trusts: each gets its own OMOP database (owned by its own role, read by a worker role
 * that can reach nothing else), a data folder of images, a policy file, and a worker process.
 */

export type FleetSite = { code: string; seed: number };

type SiteSecrets = { ownerPassword: string; readerPassword: string };

function siteDir(dataRoot: string, code: string) {
  return path.join(dataRoot, "sites", code.toLowerCase());
}

function loadOrCreateSecrets(dir: string): SiteSecrets {
  const file = path.join(dir, "credentials.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as SiteSecrets;
  const secrets = {
    ownerPassword: randomBytes(18).toString("base64url"),
    readerPassword: randomBytes(18).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

function ensurePolicy(dir: string, code: string): string {
  const file = path.join(dir, "policy.json");
  if (!existsSync(file)) {
    const policy = {
      site: code,
      allowedTaskKinds: ["site_inventory", "cohort_count", "train", "evaluate"],
      minCellCount: 10,
      allowFeasibility: true,
      maxRounds: 50,
      minCohortSize: 10,
      requireDifferentialPrivacy: false,
      // ε (at this δ) that all of one project's DP training may spend at this site, recorded in its ledger.
      privacyBudget: { maxEpsilon: 10, delta: 1e-5 },
    };
    writeFileSync(file, `${JSON.stringify(policy, null, 2)}\n`);
  }
  return file;
}

export type PreparedSite = { code: string; readerUrl: string; dataDir: string; policyPath: string; isNew: boolean };

/** Reports generation progress in 10% steps per phase, so a terminal or CI log stays readable. */
function progressPrinter(code: string, log: (line: string) => void) {
  let last = "";
  return (p: GenerateProgress) => {
    const step = p.total ? Math.floor((p.done / p.total) * 10) * 10 : 100;
    const key = `${p.phase}:${step}`;
    if (key === last) return;
    last = key;
    log(`  ${code.padEnd(5)} ${p.phase.padEnd(8)} ${String(step).padStart(3)}%  (${p.done}/${p.total})`);
  };
}

/** Provisions each site's database and generates its synthetic data unless it is already there. */
export async function prepareSites(options: {
  adminUrl: string;
  dataRoot: string;
  persons: number;
  fleet: FleetSite[];
  namespace?: string;
  log?: (line: string) => void;
}): Promise<PreparedSite[]> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const prepared: PreparedSite[] = [];
  for (const { code, seed } of options.fleet) {
    const dir = siteDir(options.dataRoot, code);
    const dataDir = path.join(dir, "data");
    mkdirSync(dataDir, { recursive: true });
    const secrets = loadOrCreateSecrets(dir);
    const db = await provisionSiteDatabase({
      adminUrl: options.adminUrl,
      siteCode: code,
      namespace: options.namespace,
      ...secrets,
    });
    // Scans as DICOM series, as a Trust's image export holds them (workers/site-data/README.md).
    const images = "dicom";
    // Data an older generator wrote (other tables or image files) is regenerated, not run on.
    const replace = !(await isCurrentSiteData(db.ownerUrl, images));
    let isNew = true;
    try {
      await generateSiteData({
        site: code,
        persons: options.persons,
        databaseUrl: db.ownerUrl,
        dataDir,
        seed,
        images,
        replace,
        onProgress: progressPrinter(code, log),
      });
    } catch (error) {
      if (!(error instanceof SiteDataExistsError)) throw error;
      isNew = false;
    }
    log(isNew ? `  ${code.padEnd(5)} synthetic OMOP data ready` : `  ${code.padEnd(5)} reusing existing site data`);
    prepared.push({ code, readerUrl: db.readerUrl, dataDir, policyPath: ensurePolicy(dir, code), isNew });
  }
  return prepared;
}

const WORKER_ENTRY = path.join(process.cwd(), "workers", "main.ts");

/**
 * Issues each site a fresh token (the previous run's stop working at once) and starts its worker
 * as a child process, stopped before the database on shutdown.
 */
export async function startSiteWorkers(
  db: Database,
  hubUrl: string,
  prepared: PreparedSite[],
  options: { env?: Record<string, string>; resetLedgers?: boolean } = {},
) {
  for (const site of prepared) {
    const [row] = await db.select({ id: sites.id }).from(sites).where(eq(sites.code, site.code));
    if (!row) throw new Error(`site ${site.code} is not registered in the portal`);
    const { token } = await issueSiteToken(db, { type: "system", label: "demo" }, { siteId: row.id, graceSeconds: 0 });
    // The site ledger lives beside the site's data, outside the portal's database. A hub that starts
    // from an empty database (the e2e run) gets sites whose ledgers start empty too.
    const stateDir = path.join(path.dirname(site.dataDir), "worker-state");
    if (options.resetLedgers) rmSync(stateDir, { recursive: true, force: true });
    // Worker logs (structured JSON, never patient data) go to a file per site, not the demo's terminal.
    const logFd = openSync(path.join(path.dirname(site.dataDir), "worker.log"), "a");
    const child = spawn(process.execPath, ["--import", "tsx", WORKER_ENTRY], {
      stdio: ["ignore", logFd, logFd],
      env: {
        ...process.env,
        ...options.env,
        FLIP_HUB_URL: hubUrl,
        FLIP_SITE_TOKEN: token,
        FLIP_SITE_DATABASE_URL: site.readerUrl,
        FLIP_SITE_DATA_DIR: site.dataDir,
        FLIP_SITE_POLICY: site.policyPath,
        FLIP_WORKER_STATE_DIR: stateDir,
      },
    });
    stopOnShutdown(child);
  }
}
