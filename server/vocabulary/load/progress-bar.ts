/** What the loader reports as it goes; the CLI draws it, tests ignore it. */
export type LoadProgress =
  | { phase: "file"; file: string; bytesRead: number; bytesTotal: number; rows: number }
  | { phase: "step"; message: string };

const WIDTH = 30;

/**
 * A one-line progress bar on a terminal (redrawn in place, at most every 100 ms), or a line per
 * tenth of each file and per step when the output is a log.
 */
export function createProgressBar(stream: NodeJS.WriteStream = process.stderr) {
  let lastDraw = 0;
  let lastTenth = -1;
  let lastFile = "";
  return (event: LoadProgress) => {
    if (event.phase === "step") {
      if (stream.isTTY) stream.write("\n");
      stream.write(`${event.message}\n`);
      return;
    }
    const share = event.bytesTotal ? event.bytesRead / event.bytesTotal : 1;
    if (event.file !== lastFile) {
      lastFile = event.file;
      lastTenth = -1;
    }
    if (stream.isTTY) {
      const now = Date.now();
      if (now - lastDraw < 100 && share < 1) return;
      lastDraw = now;
      const filled = Math.round(share * WIDTH);
      stream.write(
        `\r${event.file.padEnd(26)} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${event.rows.toLocaleString("en-GB")} rows`,
      );
      if (share >= 1) stream.write("\n");
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth === lastTenth) return;
    lastTenth = tenth;
    stream.write(`${event.file}: ${tenth * 10}% (${event.rows.toLocaleString("en-GB")} rows)\n`);
  };
}
