import { once } from "node:events";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { AthenaFileError, checkHeader, toCopyLine, type AthenaFile } from "./athena-files";
import type { LoadProgress } from "./progress-bar";
import { readLineBatches } from "./line-reader";
import { STAGING } from "./staging";

const FLUSH_CHARS = 256 * 1024;

type CopyOptions = {
  folder: string;
  spec: AthenaFile;
  loadId: string;
  /** Data rows already committed by an interrupted run of the same download: skipped, not reloaded. */
  skipRows: number;
  chunkRows: number;
  onProgress: (event: LoadProgress) => void;
};

/**
 * Streams one Athena file into its staging table with COPY, committing every `chunkRows` rows together
 * with how far it got, so memory stays bounded and an interrupted load resumes after its last commit.
 * A bad value aborts the open chunk (COPY is all-or-nothing) and throws naming file, line and column.
 */
export async function copyFileIntoStaging(client: pg.Client, options: CopyOptions): Promise<number> {
  const { spec, loadId, chunkRows, onProgress } = options;
  const path = join(options.folder, spec.file);
  const bytesTotal = (await stat(path)).size;
  const columns = spec.columns.map((c) => c.name).join(", ");
  let copy: ReturnType<typeof copyFrom> | undefined;
  let buffer = "";
  let rows = 0;
  let rowsInChunk = 0;
  let lineNumber = 0;

  const flush = async () => {
    if (!copy || !buffer) return;
    const chunk = buffer;
    buffer = "";
    if (!copy.write(chunk)) await once(copy, "drain");
  };
  const commitChunk = async (isDone: boolean) => {
    if (copy) {
      await flush();
      copy.end();
      await finished(copy);
      copy = undefined;
    } else {
      await client.query("BEGIN");
    }
    await client.query(
      `UPDATE vocabulary_loads SET progress = progress || jsonb_build_object($2::text, jsonb_build_object('rows', $3::int, 'done', $4::boolean)) WHERE id = $1`,
      [loadId, spec.file, options.skipRows + rows, isDone],
    );
    await client.query("COMMIT");
    rowsInChunk = 0;
  };

  try {
    for await (const batch of readLineBatches(path)) {
      for (const line of batch.lines) {
        lineNumber++;
        if (lineNumber === 1) {
          checkHeader(spec, line);
          continue;
        }
        if (lineNumber - 1 <= options.skipRows) continue;
        const copyLine = toCopyLine(spec, line, lineNumber);
        if (!copy) {
          await client.query("BEGIN");
          copy = client.query(copyFrom(`COPY ${STAGING}.${spec.table} (${columns}) FROM STDIN`));
          // Surfaced by the next drain or finish; without a listener a refused COPY would crash the process.
          copy.on("error", () => undefined);
        }
        buffer += copyLine;
        rows++;
        rowsInChunk++;
        if (buffer.length >= FLUSH_CHARS) await flush();
        if (rowsInChunk >= chunkRows) await commitChunk(false);
      }
      onProgress({
        phase: "file",
        file: spec.file,
        bytesRead: batch.bytesRead,
        bytesTotal,
        rows: options.skipRows + rows,
      });
    }
    if (lineNumber === 0)
      throw new AthenaFileError(spec.file, 1, undefined, "the file is empty; Athena writes a header line");
    await commitChunk(true);
    return options.skipRows + rows;
  } catch (error) {
    if (copy) copy.destroy(error instanceof Error ? error : new Error(String(error)));
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
