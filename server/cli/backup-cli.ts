import path from "node:path";
import { getHubConfigOrExit } from "@/server/config";
import { resolveDatabaseUrl } from "@/server/database/embedded-server";
import { shutdown } from "@/server/lib/shutdown";
import { BackupRefusal } from "./backup-pg-tools";

/**
 * What `npm run backup` and `npm run restore` share: their arguments, the database (DATABASE_URL,
 * else the embedded server, as db:migrate resolves it), the artifact dir, progress on stderr and
 * exit codes: 0 done, 2 refused before anything changed (usage, missing tool, existing file,
 * non-empty database, bad configuration), 1 failed.
 */
export async function runBackupCommand(
  name: "backup" | "restore",
  allowForce: boolean,
  run: (args: { file: string; force: boolean; databaseUrl: string; artifactDir: string }) => Promise<string>,
) {
  const args = process.argv.slice(2);
  const force = allowForce && args.includes("--force");
  const files = args.filter((a) => a !== "--force" || !allowForce);
  const usage = `Usage: npm run ${name} -- <file>${allowForce ? " [--force]" : ""}`;
  if (files.length !== 1 || files[0]!.startsWith("-")) {
    console.error(usage);
    return shutdown(2);
  }
  const config = getHubConfigOrExit();
  try {
    const databaseUrl = await resolveDatabaseUrl();
    const summary = await run({
      file: files[0]!,
      force,
      databaseUrl,
      artifactDir: path.join(config.FLIP_DATA_DIR, "artifacts"),
    });
    console.log(summary);
    await shutdown(0);
  } catch (error) {
    const refused = error instanceof BackupRefusal;
    console.error(
      `${name === "backup" ? "Backup" : "Restore"} ${refused ? "refused" : "failed"}: ${error instanceof Error ? error.message : String(error)}`,
    );
    await shutdown(refused ? 2 : 1);
  }
}

export const progress = (line: string) => console.error(line);
