import { constants } from "node:fs";
import { access, opendir } from "node:fs/promises";
import type { SelfCheck } from "@/protocol/contract";
import type { ImageHealth } from "./imaging/imaging-context";
import { failureOf, failureText } from "./release/failures";
import { inspectOmopSchema, schemaCheck } from "./cdm/schema-check";
import type { SiteDb } from "./site-db";

/**
 * Checks the hub shows on the site's health (a failing one marks the site degraded). Messages are
 * fixed texts: no connection strings, paths of patient files or row data.
 */
const DB_CHECK_TIMEOUT_MS = 2_000;

export async function runSelfChecks(siteDb: SiteDb, dataDir: string, imageHealth?: ImageHealth): Promise<SelfCheck[]> {
  const [database, data] = await Promise.all([checkSiteDatabase(siteDb), checkDataDir(dataDir)]);
  const checks = database.ok ? [database, await checkOmopSchema(siteDb), data] : [database, data];
  const images = imageHealth?.selfCheck();
  return images ? [...checks, images] : checks;
}

async function checkOmopSchema(siteDb: SiteDb): Promise<SelfCheck> {
  try {
    const { schema, indexes, absentOptional } = await inspectOmopSchema(siteDb, DB_CHECK_TIMEOUT_MS);
    return schemaCheck(schema, indexes, absentOptional);
  } catch (error) {
    return { name: "omop_schema", ok: false, message: failureText(failureOf(error)) };
  }
}

async function checkSiteDatabase(siteDb: SiteDb): Promise<SelfCheck> {
  try {
    await siteDb.ping(DB_CHECK_TIMEOUT_MS);
    return { name: "site_database", ok: true };
  } catch (error) {
    return {
      name: "site_database",
      ok: false,
      message: failureText(failureOf(error)),
    };
  }
}

export async function checkDataDir(dataDir: string): Promise<SelfCheck> {
  try {
    await access(dataDir, constants.R_OK | constants.X_OK);
    // Opening the folder proves it is listable without walking what may be millions of files.
    await (await opendir(dataDir)).close();
    return { name: "data_dir", ok: true };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { name: "data_dir", ok: false, message: `The image folder is not readable${code ? ` (${code})` : ""}.` };
  }
}
