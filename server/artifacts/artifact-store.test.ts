import { eq, sql } from "drizzle-orm";
import { describe, expect, test } from "vitest";
import { artifacts } from "@/db/schema";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { createPostgresArtifactStore, readArtifact, rememberArtifact } from "./artifact-store";

const testDb = useTestDatabase();

test("model files and round sums are stored out of line without a compression attempt", async () => {
  // A tensor file starts with its JSON manifest, which compresses: PostgreSQL's default storage then
  // ran pglz through megabytes of floats before giving up, 50 ms of a 4 MB model's round close.
  const { rows } = await testDb.db().execute<{ column: string; storage: string }>(sql`
    SELECT attrelid::regclass::text || '.' || attname AS column, attstorage AS storage
    FROM pg_attribute
    WHERE (attrelid, attname) IN (('artifacts'::regclass, 'bytes'), ('round_partials'::regclass, 'sums'))
    ORDER BY 1`);
  expect(rows).toEqual([
    { column: "artifacts.bytes", storage: "e" },
    { column: "round_partials.sums", storage: "e" },
  ]);
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
    await db
      .update(artifacts)
      .set({ bytes: Buffer.from(new Uint8Array(1024).fill(4)) })
      .where(eq(artifacts.sha256, sha256));
    const corrupt = `Stored artifact ${sha256.slice(0, 12)}… is corrupt: its content no longer matches its hash.`;
    const reads = await Promise.allSettled([readArtifact(db, sha256), readArtifact(db, sha256)]);
    expect(reads.map((r) => r.status === "rejected" && (r.reason as Error).message)).toEqual([corrupt, corrupt]);
    await db
      .update(artifacts)
      .set({ bytes: Buffer.from(bytes) })
      .where(eq(artifacts.sha256, sha256));
    expect((await readArtifact(db, sha256))[0]).toBe(3);
  });

  test("bytes this process has just written are served from memory, not read back and hashed again", async () => {
    const db = testDb.db();
    const bytes = new Uint8Array(2048).fill(5);
    const sha256 = await createPostgresArtifactStore().put(db, bytes);
    rememberArtifact(sha256, bytes);
    // Were the row read, this would be refused as corrupt.
    await db
      .update(artifacts)
      .set({ bytes: Buffer.from(new Uint8Array(2048).fill(6)) })
      .where(eq(artifacts.sha256, sha256));
    expect(await readArtifact(db, sha256)).toBe(bytes);
  });
});
