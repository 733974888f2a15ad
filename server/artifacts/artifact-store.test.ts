import { and, eq, sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { artifactChunks, artifacts } from "@/db/schema";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { createPostgresArtifactStore, readArtifact, rememberArtifact, sha256Hex } from "./artifact-store";

const testDb = useTestDatabase();

test("a round's partial sums skip the write-ahead log: they live until the round closes, and their holder keeps them in memory", async () => {
  const { rows } = await testDb.db().execute<{ table: string; persistence: string }>(sql`
    SELECT relname AS table, relpersistence AS persistence FROM pg_class
    WHERE relname IN ('round_partials', 'round_partial_chunks', 'artifacts', 'artifact_chunks') AND relkind = 'r'
    ORDER BY 1`);
  expect(rows).toEqual([
    { table: "artifact_chunks", persistence: "p" },
    { table: "artifacts", persistence: "p" },
    { table: "round_partial_chunks", persistence: "u" },
    { table: "round_partials", persistence: "u" },
  ]);
});

test("model files and round sums are stored out of line without a compression attempt", async () => {
  // A tensor file starts with its JSON manifest, which compresses: PostgreSQL's default storage then
  // ran pglz through megabytes of floats before giving up, 50 ms of a 4 MB model's round close.
  const { rows } = await testDb.db().execute<{ column: string; storage: string }>(sql`
    SELECT attrelid::regclass::text || '.' || attname AS column, attstorage AS storage
    FROM pg_attribute
    WHERE (attrelid, attname) IN (('artifact_chunks'::regclass, 'bytes'), ('round_partial_chunks'::regclass, 'bytes'))
    ORDER BY 1`);
  expect(rows).toEqual([
    { column: "artifact_chunks.bytes", storage: "e" },
    { column: "round_partial_chunks.bytes", storage: "e" },
  ]);
});

/** Replaces the first stored chunk of an artifact, as a flipped bit on disk would. */
const overwriteFirstChunk = (db: ReturnType<typeof testDb.db>, sha256: string, bytes: Uint8Array) =>
  db
    .update(artifactChunks)
    .set({ bytes: Buffer.from(bytes) })
    .where(and(eq(artifactChunks.sha256, sha256), eq(artifactChunks.seq, 0)));

describe("the PostgreSQL store", () => {
  const MiB = 1024 * 1024;
  const file = (byteLength: number) => {
    const bytes = new Uint8Array(byteLength);
    for (let i = 0; i < byteLength; i++) bytes[i] = (i * 7919) % 251;
    return bytes;
  };

  test("a file of several mebibytes is stored in mebibyte chunks and read back whole", async () => {
    const db = testDb.db();
    const store = createPostgresArtifactStore();
    const bytes = file(2 * MiB + 12_345);
    const sha256 = await store.put(db, bytes);
    const chunks = await db
      .select({ seq: artifactChunks.seq, bytes: sql<number>`length(${artifactChunks.bytes})` })
      .from(artifactChunks)
      .where(eq(artifactChunks.sha256, sha256))
      .orderBy(artifactChunks.seq);
    expect(chunks).toEqual([
      { seq: 0, bytes: MiB },
      { seq: 1, bytes: MiB },
      { seq: 2, bytes: 12_345 },
    ]);
    expect(Buffer.from(await store.get(db, sha256)).equals(Buffer.from(bytes))).toBe(true);
    // Stored again: content-addressed, nothing is written twice.
    expect(await store.put(db, bytes)).toBe(sha256);
    expect(await db.$count(artifactChunks, eq(artifactChunks.sha256, sha256))).toBe(3);
  });

  test("an empty file has its row and no chunks, and reads back empty", async () => {
    const db = testDb.db();
    const store = createPostgresArtifactStore();
    const sha256 = await store.put(db, new Uint8Array(0));
    expect(await db.$count(artifactChunks, eq(artifactChunks.sha256, sha256))).toBe(0);
    expect((await store.get(db, sha256)).byteLength).toBe(0);
  });

  test("a write that fails part-way leaves no artifact behind, and the same file stored later reads back whole", async () => {
    const db = testDb.db();
    const store = createPostgresArtifactStore();
    const bytes = file(3 * MiB);
    await db.execute(sql`
      CREATE FUNCTION refuse_third_chunk() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.seq = 2 THEN RAISE EXCEPTION 'disk full (test)'; END IF;
        RETURN NEW;
      END $$`);
    await db.execute(
      sql`CREATE TRIGGER refuse_third_chunk BEFORE INSERT ON artifact_chunks FOR EACH ROW EXECUTE FUNCTION refuse_third_chunk()`,
    );
    try {
      await expect(store.put(db, bytes)).rejects.toThrow();
      // Neither the row nor the first two chunks: a row naming part of a file would read as corrupt for good.
      expect(await db.$count(artifacts, eq(artifacts.sha256, sha256Hex(bytes)))).toBe(0);
      expect(await db.$count(artifactChunks, eq(artifactChunks.sha256, sha256Hex(bytes)))).toBe(0);
      // In a transaction, the failed write is undone and the transaction can go on.
      const kept = await db.transaction(async (tx) => {
        await expect(store.put(tx, bytes)).rejects.toThrow();
        return store.put(tx, file(1024));
      });
      expect((await store.get(db, kept)).byteLength).toBe(1024);
    } finally {
      await db.execute(sql`DROP TRIGGER refuse_third_chunk ON artifact_chunks`);
      await db.execute(sql`DROP FUNCTION refuse_third_chunk()`);
    }
    const sha256 = await store.put(db, bytes);
    expect(Buffer.from(await store.get(db, sha256)).equals(Buffer.from(bytes))).toBe(true);
  });

  test("a missing chunk is found at read: the file is refused as corrupt", async () => {
    const db = testDb.db();
    const store = createPostgresArtifactStore();
    const sha256 = await store.put(db, file(MiB + 1));
    await db.delete(artifactChunks).where(and(eq(artifactChunks.sha256, sha256), eq(artifactChunks.seq, 1)));
    await expect(store.get(db, sha256)).rejects.toThrow(
      `Stored artifact ${sha256.slice(0, 12)}… is corrupt: its content no longer matches its hash.`,
    );
  });
});

describe("readArtifact", () => {
  test("concurrent requests for an artifact not in memory share one read and one hash check", async () => {
    const db = testDb.db();
    const sha256 = await createPostgresArtifactStore().put(db, new Uint8Array(64 * 1024).fill(7));
    // Ten sites download the new global model at the same moment.
    const reads = await Promise.all(Array.from({ length: 10 }, () => readArtifact(db, sha256)));
    for (const bytes of reads) expect(bytes).toBe(reads[0]);
    expect(reads[0]![100]).toBe(7);
  });

  test("a failed read is not remembered: every waiting caller gets the error, and a later read tries again", async () => {
    const db = testDb.db();
    const bytes = new Uint8Array(1024).fill(3);
    const sha256 = await createPostgresArtifactStore().put(db, bytes);
    await overwriteFirstChunk(db, sha256, new Uint8Array(1024).fill(4));
    const corrupt = `Stored artifact ${sha256.slice(0, 12)}… is corrupt: its content no longer matches its hash.`;
    const reads = await Promise.allSettled([readArtifact(db, sha256), readArtifact(db, sha256)]);
    expect(reads.map((r) => r.status === "rejected" && (r.reason as Error).message)).toEqual([corrupt, corrupt]);
    await overwriteFirstChunk(db, sha256, bytes);
    expect((await readArtifact(db, sha256))[0]).toBe(3);
  });

  test("bytes this process has just written are served from memory, not read back and hashed again", async () => {
    const db = testDb.db();
    const bytes = new Uint8Array(2048).fill(5);
    const sha256 = await createPostgresArtifactStore().put(db, bytes);
    rememberArtifact(sha256, bytes);
    // Were the row read, this would be refused as corrupt.
    await overwriteFirstChunk(db, sha256, new Uint8Array(2048).fill(6));
    expect(await readArtifact(db, sha256)).toBe(bytes);
  });
});
