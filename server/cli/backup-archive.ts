import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { z } from "zod";

/**
 * The backup file: a plain POSIX (ustar) tar archive, so `tar tf hub.flip-backup` shows what is
 * inside and any tar can unpack it by hand. Entries, in order:
 *   manifest.json                  format, when, the dump's SHA-256, the disk artifacts listed
 *   database.dump                  pg_dump --format=custom of the whole hub database (one snapshot)
 *   artifacts/<ab>/<sha256>        each disk-store artifact file, named by its content hash
 * Artifacts kept in PostgreSQL (the default store) are rows of the dump and need no entry.
 */

export const BACKUP_FORMAT = "flip-hub-backup/1";
export const MANIFEST_ENTRY = "manifest.json";
export const DUMP_ENTRY = "database.dump";
export const artifactEntry = (sha256: string) => `artifacts/${sha256.slice(0, 2)}/${sha256}`;

export const ZBackupManifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  database: z.string(),
  serverVersion: z.string(),
  dump: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), byteSize: z.number().int().nonnegative() }),
  artifacts: z.object({
    inDatabase: z.number().int().nonnegative(),
    onDisk: z.array(z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), byteSize: z.number().int().nonnegative() })),
  }),
  modelVersions: z.number().int().nonnegative(),
});
export type BackupManifest = z.infer<typeof ZBackupManifest>;

const BLOCK = 512;
const OCTAL_LIMIT = 8 ** 11; // an 11-digit octal size field holds up to 8 GiB - 1

function writeOctal(header: Buffer, offset: number, width: number, value: number) {
  header.write(value.toString(8).padStart(width - 1, "0") + "\0", offset, width, "ascii");
}

function tarHeader(name: string, size: number): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, "utf8");
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  if (size < OCTAL_LIMIT) writeOctal(header, 124, 12, size);
  else {
    // GNU base-256 size for entries of 8 GiB and more (GNU tar and bsdtar read it).
    header[124] = 0x80;
    let rest = BigInt(size);
    for (let i = 135; i > 124; i--) {
      header[i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  }
  writeOctal(header, 136, 12, Math.floor(Date.now() / 1000));
  header.fill(" ", 148, 156);
  header.write("0", 156, 1, "ascii");
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "ascii");
  return header;
}

/** Writes a tar archive sequentially to an open file. */
export class TarWriter {
  private position = 0;
  constructor(private readonly file: FileHandle) {}

  private async write(bytes: Uint8Array) {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.file.write(bytes, done, bytes.byteLength - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }

  private async pad(size: number) {
    const rest = size % BLOCK;
    if (rest) await this.write(Buffer.alloc(BLOCK - rest));
  }

  async addBytes(name: string, bytes: Uint8Array) {
    await this.write(tarHeader(name, bytes.byteLength));
    await this.write(bytes);
    await this.pad(bytes.byteLength);
  }

  /**
   * Copies `size` bytes of the file at `source` into the archive and returns their SHA-256. The size
   * is fixed in the header first, so a file that grows or shrinks meanwhile is an error.
   */
  async addFile(name: string, source: string, size: number): Promise<string> {
    await this.write(tarHeader(name, size));
    const hash = createHash("sha256");
    let copied = 0;
    for await (const chunk of createReadStream(source, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      if (copied + chunk.byteLength > size) throw new Error(`${source} grew while it was being archived`);
      hash.update(chunk);
      await this.write(chunk);
      copied += chunk.byteLength;
    }
    if (copied !== size) throw new Error(`${source} has ${copied} bytes, expected ${size}`);
    await this.pad(size);
    return hash.digest("hex");
  }

  async finish() {
    await this.write(Buffer.alloc(2 * BLOCK));
  }
}

export type TarEntry = { name: string; offset: number; size: number };

function readSize(field: Buffer): number {
  if (field[0]! & 0x80) {
    let value = 0n;
    for (let i = 1; i < field.length; i++) value = (value << 8n) | BigInt(field[i]!);
    return Number(value);
  }
  const text = field.toString("ascii").replace(/\0.*$/s, "").trim();
  return text ? parseInt(text, 8) : 0;
}

/** Lists the regular files of a tar archive with where their bytes start, checking every header. */
export async function listTarEntries(file: FileHandle): Promise<TarEntry[]> {
  const { size: total } = await file.stat();
  const entries: TarEntry[] = [];
  const header = Buffer.alloc(BLOCK);
  let position = 0;
  while (position + BLOCK <= total) {
    const { bytesRead } = await file.read(header, 0, BLOCK, position);
    if (bytesRead < BLOCK) break;
    if (header.every((b) => b === 0)) return entries;
    const stored = parseInt(header.toString("ascii", 148, 156).replace(/\0.*$/s, "").trim(), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    if (stored !== sum) throw new Error(`not a backup archive: bad tar header at byte ${position}`);
    const name = header.toString("utf8", 0, 100).replace(/\0.*$/s, "");
    const prefix = header.toString("utf8", 345, 500).replace(/\0.*$/s, "");
    const size = readSize(header.subarray(124, 136));
    const type = String.fromCharCode(header[156]!);
    if (type === "0" || type === "\0")
      entries.push({ name: prefix ? `${prefix}/${name}` : name, offset: position + BLOCK, size });
    position += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (position > total) throw new Error(`the backup is truncated: "${name}" runs past the end of the file`);
  }
  throw new Error("the backup is truncated: the archive has no end marker");
}

/** The bytes of one entry, as a stream of the archive file's slice. */
export function entryStream(archive: string, entry: TarEntry) {
  return createReadStream(archive, {
    start: entry.offset,
    end: entry.offset + entry.size - 1,
    highWaterMark: 1024 * 1024,
  }) as AsyncIterable<Buffer> & NodeJS.ReadableStream;
}

export async function sha256OfEntry(archive: string, entry: TarEntry): Promise<string> {
  const hash = createHash("sha256");
  if (entry.size > 0) for await (const chunk of entryStream(archive, entry)) hash.update(chunk);
  return hash.digest("hex");
}
