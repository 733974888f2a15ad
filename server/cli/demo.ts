import path from "node:path";
import { connectDatabase, migrateDatabase } from "@/db/client";
import { DEMO_ACCOUNTS, DEMO_SITES, seedDemo } from "@/server/cli/demo-seed";
import { countDemoCohorts, seedDemoProjects } from "./demo-projects";
import { resolveAdminUrl, resolveDatabaseUrl } from "@/server/database/embedded-server";
import { generateTemporaryPassword } from "@/server/auth/password";
import { ConfigError, describeConfigError, getHubConfigOrExit } from "@/server/config";
import { onShutdown, shutdown } from "@/server/lib/shutdown";
import { persistentSecret, secretFile, sessionSigningSecret } from "@/server/lib/local-secrets";
import { newTotpSecret } from "@/server/auth/totp";
import { buildPortal, isBuildStale, startPortal } from "./portal-process";
import { prepareSites, startSiteWorkers } from "./site-fleet";
import { loadDemoVocabulary } from "@/server/vocabulary/demo-vocabulary";

const DEMO_FLEET = DEMO_SITES.map((site, i) => ({ code: site.code, seed: i + 1 }));

async function main() {
  // Before any database or child process: a bad setting stops the demo with exit code 2.
  const config = getHubConfigOrExit();
  const port = config.PORT;
  const usesEmbedded = !config.DATABASE_URL;
  console.log(
    usesEmbedded
      ? "Starting the embedded PostgreSQL server (data in .data/postgres)…"
      : "Using the PostgreSQL server at DATABASE_URL…",
  );
  const databaseUrl = await resolveDatabaseUrl();

  const { db, pool } = connectDatabase(databaseUrl);
  onShutdown(() => pool.end());
  console.log("Applying migrations…");
  await migrateDatabase(db);
  const password = persistentSecret("DEMO_PASSWORD", "demo-password", () => generateTemporaryPassword(20));
  const totpSecret = secretFile(path.join(config.FLIP_DATA_DIR, "demo-totp-secret"), newTotpSecret);
  const { created } = await seedDemo(db, password.value, { totpSecret });
  console.log(created.length ? `Seeded ${created.length} demo records.` : "Demo data already present; reusing it.");
  const projects = await seedDemoProjects(db);
  if (projects.length) console.log(`Seeded the ready-to-train demo ${projects.join(" and ")}.`);

  const vocabulary = await loadDemoVocabulary(databaseUrl, path.join(config.FLIP_DATA_DIR, "vocabulary-demo"));
  console.log(
    vocabulary.status === "loaded"
      ? `Loaded the demo vocabulary (${vocabulary.rows["CONCEPT.csv"]} concepts; npm run vocab:load -- <folder> loads a full Athena download).`
      : "Demo vocabulary already loaded.",
  );

  console.log("Preparing the demo Trusts' OMOP databases (generated on first run)…");
  const prepared = await prepareSites({
    adminUrl: await resolveAdminUrl(),
    dataRoot: config.FLIP_DATA_DIR,
    persons: config.FLIP_DEMO_PERSONS,
    fleet: DEMO_FLEET,
  });

  if (isBuildStale()) {
    console.log("Building the portal (first run or sources changed)…");
    buildPortal();
  }
  const authSecret = sessionSigningSecret();
  const { url } = await startPortal({ databaseUrl, port, authSecret });
  await startSiteWorkers(db, url, prepared);
  // As the researcher would before training: a site's weight in training is bounded by the count it released.
  const counted = await countDemoCohorts(db);
  if (counted.length)
    console.log(
      `Counting the approved cohorts of ${counted.join(" and ")} at every approved site (results under Cohort counts; training needs them).`,
    );

  console.log(`\nFLIP Portal is running at ${url}\n`);
  console.log("Demo accounts:");
  for (const account of DEMO_ACCOUNTS)
    console.log(`  ${account.email.padEnd(28)} ${account.role}${account.siteCode ? ` (${account.siteCode})` : ""}`);
  console.log(
    `Password for all demo accounts: ${password.value}${password.isGenerated ? "  (generated; kept in .data/demo-password)" : ""}`,
  );
  console.log(
    `Second factor for the admin and approver accounts: add the setup key ${totpSecret} to an authenticator app (kept in .data/demo-totp-secret)`,
  );
  if (!created.length && config.DEMO_PASSWORD)
    console.log("Note: existing accounts keep the password they were created with.");
  console.log(`Site workers: ${prepared.map((p) => p.code).join(", ")} (logs in .data/sites/<site>/worker.log)`);
  console.log("\nPress Ctrl+C to stop.");
}

main().catch(async (error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`\n${describeConfigError(error)}`);
    await shutdown(2);
  }
  console.error(`\nThe demo could not start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
