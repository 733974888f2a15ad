import { runBackupCommand, progress } from "./backup-cli";
import { describeRestore, restoreHub } from "./restore-hub";

// npm run restore -- <file>: into an empty database only; see restore-hub.ts.
void runBackupCommand("restore", false, async (options) =>
  describeRestore(await restoreHub({ ...options, log: progress })),
);
