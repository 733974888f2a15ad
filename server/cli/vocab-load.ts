import { connectDatabase, migrateDatabase } from "@/db/client";
import { getHubConfigOrExit } from "@/server/config";
import { resolveDatabaseUrl } from "@/server/database/embedded-server";
import { shutdown } from "@/server/lib/shutdown";
import { AthenaFileError } from "@/server/vocabulary/load/athena-files";
import { loadVocabulary, VocabularyLoadError } from "@/server/vocabulary/load/load-vocabulary";
import { createProgressBar } from "@/server/vocabulary/load/progress-bar";

const USAGE = "Usage: npm run vocab:load -- <folder of the unzipped Athena download> [--force]";

async function main() {
  getHubConfigOrExit();
  const args = process.argv.slice(2);
  const folder = args.find((a) => !a.startsWith("--"));
  const unknown = args.filter((a) => a.startsWith("--") && a !== "--force");
  if (!folder || unknown.length) {
    console.error(unknown.length ? `Unknown option ${unknown.join(", ")}.\n${USAGE}` : USAGE);
    await shutdown(2);
    return;
  }
  const url = await resolveDatabaseUrl();
  const { db, pool } = connectDatabase(url);
  await migrateDatabase(db);
  await pool.end();
  const started = performance.now();
  const result = await loadVocabulary(url, {
    folder,
    force: args.includes("--force"),
    onProgress: createProgressBar(),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (result.status === "unchanged")
    console.log(
      `This download (${result.version ?? "version not stated"}) is already the live vocabulary; nothing to do (--force reloads it).`,
    );
  else
    console.log(
      `Loaded vocabulary ${result.version ?? "(VOCABULARY.csv states no version)"} in ${seconds} s${result.resumed ? " (resumed)" : ""}: ` +
        Object.entries(result.rows)
          .map(([file, rows]) => `${file} ${rows.toLocaleString("en-GB")}`)
          .join(", "),
    );
  await shutdown(0);
}

main().catch(async (error: unknown) => {
  if (error instanceof AthenaFileError || error instanceof VocabularyLoadError)
    console.error(`\nThe vocabulary was not loaded; the previous one stays in place.\n${error.message}`);
  else
    console.error(
      `\nThe vocabulary load stopped: ${error instanceof Error ? error.message : String(error)}\nRun the same command again to resume it.`,
    );
  await shutdown(1);
});
