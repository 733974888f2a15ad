import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { crc32, inflateSync } from "node:zlib";
import pg from "pg";
import { TABLES } from "./ddl";

/** Shared by the site-data tests: independent readers of what the generator wrote. */

export type DecodedPng = { width: number; height: number; bitDepth: number; colourType: number; pixels: Uint8Array };

/** Decodes the subset of PNG the generator writes (8-bit grayscale, filter type 0), checking every CRC. */
export function decodeGrayPng(file: Buffer): DecodedPng {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!file.subarray(0, 8).equals(signature)) throw new Error("not a PNG");
  let offset = 8;
  let header: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString("ascii", offset + 4, offset + 8);
    const data = file.subarray(offset + 8, offset + 8 + length);
    const crc = file.readUInt32BE(offset + 8 + length);
    const expected = crc32(file.subarray(offset + 4, offset + 8 + length));
    if (crc !== expected >>> 0) throw new Error(`bad CRC in ${type}`);
    if (type === "IHDR") header = data;
    if (type === "IDAT") idat.push(data);
    offset += 12 + length;
  }
  if (!header) throw new Error("no IHDR");
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const raw = inflateSync(Buffer.concat(idat));
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    if (raw[y * (width + 1)] !== 0) throw new Error("unexpected filter type");
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, bitDepth: header[8] ?? -1, colourType: header[9] ?? -1, pixels };
}

/** md5 of every CDM table's rows in primary-key order: equal hashes mean identical content. */
export async function hashTables(url: string, schema = "public"): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const hashes: Record<string, string> = {};
    for (const def of TABLES) {
      const order = def.primaryKey ?? def.columns.map((c) => c.name).join(", ");
      const { rows } = await client.query<{ h: string }>(
        `SELECT md5(coalesce(string_agg(t::text, '\n' ORDER BY ${order}), '')) AS h FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(def.name)} t`,
      );
      hashes[def.name] = rows[0]?.h ?? "";
    }
    return hashes;
  } finally {
    await client.end();
  }
}

/** sha256 over (relative path, bytes) of every file under dir, in path order. */
export function hashFiles(dir: string): string {
  const hash = createHash("sha256");
  const walk = (current: string): string[] =>
    readdirSync(current)
      .sort()
      .flatMap((name) => {
        const full = path.join(current, name);
        return statSync(full).isDirectory() ? walk(full) : [full];
      });
  for (const file of walk(dir)) hash.update(path.relative(dir, file)).update(readFileSync(file));
  return hash.digest("hex");
}

/** Area under the ROC curve by the rank-sum formula (ties ignored: scores are continuous). */
export function auc(scores: readonly number[], labels: readonly boolean[]): number {
  const order = scores.map((score, i) => ({ score, label: labels[i] })).sort((a, b) => a.score - b.score);
  let rankSum = 0;
  let positives = 0;
  order.forEach(({ label }, i) => {
    if (label) {
      rankSum += i + 1;
      positives++;
    }
  });
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
