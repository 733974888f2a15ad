import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { asc, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { artifactChunks, artifacts } from "@/db/schema";
import { readBinaryRows } from "@/server/database/binary-copy";
import { chunksOf, joinChunks } from "@/server/database/chunked-bytes";
import { getHubConfig } from "@/server/config";
import { AppError } from "@/server/errors";

/**
 * Content-addressed storage for model weights: the key is the SHA-256 of the bytes, so storing
 * the same weights twice is free and a stored blob can never change under a version that names
 * it. One interface, two places: in PostgreSQL (the default: one backup covers everything) or as
 * files under the data dir (FLIP_ARTIFACT_STORE=disk). The `artifacts` row is written either way,
 * inside the caller's transaction.
 */
export interface ArtifactStore {
  readonly kind: "postgres" | "disk";
  /**
   * Stores the bytes (idempotent) and returns their SHA-256 hex. `sha256`, when the caller has
   * just hashed the same bytes, is not computed again.
   */
  put(tx: DbOrTx, bytes: Uint8Array, sha256?: string): Promise<string>;
  get(db: DbOrTx, sha256: string): Promise<Uint8Array>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The artifact's row, and with the PostgreSQL store its bytes in chunks, together: in a savepoint
 * when `tx` is a transaction, or a transaction of their own, so a row never names a partial file.
 * Content-addressed: a file already stored (or being stored by a transaction that then commits) is
 * not written again.
 */
async function insertFile(tx: DbOrTx, sha256: string, bytes: Uint8Array, store: ArtifactStore["kind"]) {
  await tx.transaction(async (inner) => {
    const inserted = await inner
      .insert(artifacts)
      .values({ sha256, byteSize: bytes.byteLength, store })
      .onConflictDoNothing()
      .returning({ sha256: artifacts.sha256 });
    if (!inserted.length || store !== "postgres") return;
    for (const [seq, chunk] of chunksOf(bytes).entries())
      await inner.insert(artifactChunks).values({ sha256, seq, bytes: chunk });
  });
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The artifact's bytes when PostgreSQL holds them, null when a file does: read in one statement,
 * as bytes rather than hex text (binary-copy.ts).
 */
async function loadRow(db: DbOrTx, sha256: string): Promise<{ bytes: Buffer | null }> {
  // Written into the COPY as a literal: only a digest's form gets that far.
  if (!SHA256_HEX.test(sha256)) throw new AppError("NOT_FOUND", `No stored artifact ${sha256.slice(0, 12)}….`);
  const rows = await readBinaryRows(
    db,
    db
      .select({ store: artifacts.store, bytes: artifactChunks.bytes })
      .from(artifacts)
      .leftJoin(artifactChunks, eq(artifactChunks.sha256, artifacts.sha256))
      .where(eq(artifacts.sha256, sha256))
      .orderBy(asc(artifactChunks.seq)),
  );
  if (!rows.length) throw new AppError("NOT_FOUND", `No stored artifact ${sha256.slice(0, 12)}….`);
  if (rows[0]![0]!.toString("utf8") !== "postgres") return { bytes: null };
  return { bytes: joinChunks(rows.map((row) => row[1] ?? null)) };
}

function verified(sha256: string, bytes: Uint8Array): Uint8Array {
  // A flipped bit on disk or in a restore must not reach a site as a model.
  if (sha256Hex(bytes) !== sha256)
    throw new Error(`Stored artifact ${sha256.slice(0, 12)}… is corrupt: its content no longer matches its hash.`);
  return bytes;
}

export function createPostgresArtifactStore(): ArtifactStore {
  return {
    kind: "postgres",
    async put(tx, bytes, sha256 = sha256Hex(bytes)) {
      await insertFile(tx, sha256, bytes, "postgres");
      return sha256;
    },
    async get(db, sha256) {
      const row = await loadRow(db, sha256);
      if (row.bytes) return verified(sha256, row.bytes);
      return readFile(diskPath(defaultArtifactDir(), sha256)).then((b) => verified(sha256, b));
    },
  };
}

const diskPath = (root: string, sha256: string) => path.join(root, sha256.slice(0, 2), sha256);
const defaultArtifactDir = () => path.join(getHubConfig().FLIP_DATA_DIR, "artifacts");

export function createDiskArtifactStore(root = defaultArtifactDir()): ArtifactStore {
  return {
    kind: "disk",
    async put(tx, bytes, sha256 = sha256Hex(bytes)) {
      const file = diskPath(root, sha256);
      await mkdir(path.dirname(file), { recursive: true });
      // Write then rename, so a reader never sees half a file under its final name.
      const partial = `${file}.${process.pid}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, file);
      await insertFile(tx, sha256, bytes, "disk");
      return sha256;
    },
    async get(db, sha256) {
      const row = await loadRow(db, sha256);
      if (row.bytes) return verified(sha256, row.bytes);
      try {
        return verified(sha256, await readFile(diskPath(root, sha256)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT")
          throw new Error(`Artifact ${sha256.slice(0, 12)}… is indexed but its file is missing from ${root}.`);
        throw error;
      }
    },
  };
}

// Artifacts never change, so recently read ones can be served from memory: every site of a round
// downloads the same global model. Bounded by bytes, least recently used first out.
const cacheBytes = () => getHubConfig().FLIP_ARTIFACT_CACHE_MB * 1024 * 1024;
const recent = new Map<string, Uint8Array>();
let recentBytes = 0;

// Reads under way: every site of a round asks for a new global model at once, and all of them wait for one read and one hash.
const reading = new Map<string, Promise<Uint8Array>>();

/** An artifact's bytes, from memory when this process read it recently. Callers must not mutate them. */
export function readArtifact(db: DbOrTx, sha256: string): Promise<Uint8Array> {
  const hit = recent.get(sha256);
  if (hit) {
    recent.delete(sha256);
    recent.set(sha256, hit);
    return Promise.resolve(hit);
  }
  let pending = reading.get(sha256);
  if (!pending) {
    pending = readAndRemember(db, sha256).finally(() => reading.delete(sha256));
    reading.set(sha256, pending);
  }
  return pending;
}

async function readAndRemember(db: DbOrTx, sha256: string): Promise<Uint8Array> {
  const bytes = await getArtifactStore().get(db, sha256);
  rememberArtifact(sha256, bytes);
  return bytes;
}

/**
 * Keeps bytes this process has just written (and hashed) for the reads that follow: a round's new
 * global model is downloaded by every site at once, and need not come back from the database and be
 * hashed again. Content-addressed, so the bytes are right for their hash even if the writing
 * transaction rolls back. The caller must not mutate them.
 */
export function rememberArtifact(sha256: string, bytes: Uint8Array): void {
  const limit = cacheBytes();
  if (bytes.byteLength > limit || recent.has(sha256)) return;
  recent.set(sha256, bytes);
  recentBytes += bytes.byteLength;
  for (const [key, value] of recent) {
    if (recentBytes <= limit) break;
    recent.delete(key);
    recentBytes -= value.byteLength;
  }
}

let store: ArtifactStore | undefined;

/** The store this process writes to, chosen by FLIP_ARTIFACT_STORE (postgres | disk). Reads work from either. */
export function getArtifactStore(): ArtifactStore {
  const kind = getHubConfig().FLIP_ARTIFACT_STORE;
  if (store?.kind !== kind) store = kind === "disk" ? createDiskArtifactStore() : createPostgresArtifactStore();
  return store;
}
