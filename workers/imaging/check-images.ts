import pg from "pg";
import { describeErrorSafely } from "../log";
import { ImageProblemTally } from "./image-problems";
import { readFileHead, resolveLocalImage } from "./local-files";
import { ImageReadError } from "./image-error";

/**
 * `flip-worker check`'s look at the images image_occurrence names: each local path is resolved
 * inside the data folder and its first file's signature read (DICOM, NIfTI or PNG), without
 * decoding. Printed on the Trust's own terminal, so it may show example paths; nothing of it is sent.
 */
const MAX_ROWS = 200_000;
const EXAMPLES = 10;

export type ImageCheck = {
  checked: number;
  onPacs: number;
  problems: ReturnType<ImageProblemTally["summary"]>;
  examples: string[];
};

export async function checkReferencedImages(
  databaseUrl: string,
  schema: string,
  dataDir: string,
  timeoutMs: number,
): Promise<ImageCheck | { error: string }> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs });
  client.on("error", () => undefined);
  let rows: { local_path: string | null }[];
  try {
    await client.connect();
    rows = (
      await client.query<{ local_path: string | null }>(
        `SELECT local_path FROM ${pg.escapeIdentifier(schema)}.image_occurrence ORDER BY image_occurrence_id LIMIT ${MAX_ROWS}`,
      )
    ).rows;
  } catch (error) {
    return { error: describeErrorSafely(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
  const tally = new ImageProblemTally();
  const examples: string[] = [];
  let onPacs = 0;
  for (const { local_path: localPath } of rows) {
    if (!localPath) {
      onPacs++;
      continue;
    }
    try {
      const image = await resolveLocalImage(dataDir, localPath);
      const head = await readFileHead(image.kind === "file" ? image.file : image.files[0]!);
      if (!isKnownImage(head, localPath)) throw new ImageReadError("not_dicom", "not a DICOM, NIfTI or PNG file");
    } catch (error) {
      tally.add(error);
      if (examples.length < EXAMPLES) examples.push(localPath);
    }
  }
  return { checked: rows.length - onPacs, onPacs, problems: tally.summary(), examples };
}

function isKnownImage(head: Uint8Array, localPath: string): boolean {
  const isDicom = head.length >= 132 && String.fromCharCode(...head.subarray(128, 132)) === "DICM";
  const isPng = head[0] === 0x89 && head[1] === 0x50;
  const isGzip = head[0] === 0x1f && head[1] === 0x8b;
  return isDicom || isPng || (isGzip && /\.nii\.gz$/i.test(localPath)) || /\.nii$/i.test(localPath);
}

/** The check's line for a person: how many images are missing or unreadable, why, and where. */
export function describeImageCheck(
  result: ImageCheck | { error: string },
  dataDir: string,
): { ok: boolean | null; detail: string; fix?: string } {
  if ("error" in result) return { ok: null, detail: `not checked: ${result.error}` };
  const pacs = result.onPacs > 0 ? `; ${result.onPacs} rows name a PACS series instead (not checked here)` : "";
  if (result.problems.total === 0)
    return { ok: true, detail: `all ${result.checked} local paths found under ${dataDir}${pacs}` };
  const { total, reasons, ...byKind } = result.problems;
  const counts = Object.entries(byKind)
    .map(([kind, n]) => `${n} ${kind.replaceAll("_", " ")}`)
    .join(", ");
  return {
    ok: false,
    detail: `${total} of ${result.checked} images that image_occurrence names are missing or unreadable under ${dataDir} (${counts}; ${reasons}); for example: ${result.examples.join(", ")}${pacs}`,
    fix: "Copy the image export into FLIP_SITE_DATA_DIR so that every local_path resolves inside it, or correct the local_path values in image_occurrence.",
  };
}
