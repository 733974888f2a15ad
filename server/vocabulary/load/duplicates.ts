import { join } from "node:path";
import type { AthenaFile } from "./athena-files";
import { readLineBatches } from "./line-reader";

/** The line numbers (at most two) of the rows whose `columns` hold `values`: for a duplicate-key report. */
export async function findDuplicateLines(
  folder: string,
  spec: AthenaFile,
  columns: string[],
  values: string[],
): Promise<number[]> {
  const positions = columns.map((c) => spec.columns.findIndex((s) => s.name === c));
  const found: number[] = [];
  let lineNumber = 0;
  for await (const batch of readLineBatches(join(folder, spec.file))) {
    for (const line of batch.lines) {
      lineNumber++;
      if (lineNumber === 1) continue;
      const fields = line.replace(/\r$/, "").split("\t");
      if (positions.every((p, i) => fields[p] === values[i])) found.push(lineNumber);
      if (found.length === 2) return found;
    }
  }
  return found;
}
