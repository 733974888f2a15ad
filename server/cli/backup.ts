import { runBackupCommand, progress } from "./backup-cli";
import { backupHub, describeBackup } from "./backup-hub";

// npm run backup -- <file> [--force]: see backup-hub.ts.
void runBackupCommand("backup", true, async (options) =>
  describeBackup(await backupHub({ ...options, log: progress })),
);
