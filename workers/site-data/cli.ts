import { parseCliArgs, USAGE, UsageError } from "./cli-args";
import { generateSiteData, SiteDataExistsError, type GenerateProgress } from "./generate";

/** `npm run site:generate`: progress (counts only) on stderr, the summary on stdout. */

function printProgress(site: string): (progress: GenerateProgress) => void {
  const isTty = process.stderr.isTTY;
  return ({ phase, done, total }) => {
    const line = `[${site}] ${phase.padEnd(8)} ${done}/${total}`;
    process.stderr.write(isTty ? `\r${line}${done === total ? "\n" : ""}` : `${line}\n`);
  };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { options } = parsed;
  try {
    const summary = await generateSiteData({ ...options, onProgress: printProgress(options.site.toUpperCase()) });
    const seconds = summary.elapsedMs / 1000;
    const persons = summary.rows.person;
    const lines = [
      `Site ${summary.site}: database ${summary.database}, schema ${summary.schema}, seed ${summary.seed}`,
      ...Object.entries(summary.rows).map(([table, count]) => `  ${table.padEnd(22)} ${count}`),
      ...Object.entries(summary.imagesPerModality).map(
        ([modality, count]) => `  images ${modality.padEnd(15)} ${count}`,
      ),
      `Done in ${seconds.toFixed(1)} s (${Math.round(persons / seconds)} persons/s)`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } catch (error) {
    if (error instanceof SiteDataExistsError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    // Database errors carry no patient data, but the URL may carry a password: print the message only.
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main();
