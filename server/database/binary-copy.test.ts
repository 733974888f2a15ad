import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { expect, test } from "vitest";
import { useTestDatabase } from "@/server/lib/test-support/test-db";
import { readBinaryRows } from "./binary-copy";

const testDb = useTestDatabase();

async function table() {
  const db = testDb.db();
  await db.execute(sql`CREATE TABLE IF NOT EXISTS copy_probe (id int PRIMARY KEY, label text, bytes bytea)`);
  await db.execute(sql`TRUNCATE copy_probe`);
  return db;
}

const rowsOf = (label: string) => sql`SELECT label, bytes FROM copy_probe WHERE label = ${label} ORDER BY id`;

test("a large bytea arrives as its exact bytes, in a buffer of its own, with the row's other fields", async () => {
  const db = await table();
  // Larger than any socket read, so the value spans many chunks.
  const big = randomBytes(3 * 1024 * 1024 + 5);
  await db.execute(
    sql`INSERT INTO copy_probe VALUES (1, 'model', ${big}), (2, 'model', ${Buffer.alloc(0)}), (3, 'model', NULL)`,
  );

  const rows = await readBinaryRows(db, rowsOf("model"));

  expect(rows.map(([label]) => label?.toString("utf8"))).toEqual(["model", "model", "model"]);
  expect(rows[0]![1]!.equals(big)).toBe(true);
  // Offset 0 of its own memory: viewable as a Float64Array without a copy.
  expect(rows[0]![1]!.byteOffset).toBe(0);
  expect(rows[1]![1]!.byteLength).toBe(0);
  expect(rows[2]![1]).toBeNull();
});

test("no rows is an empty list, and a value with quotes is matched as itself, not as SQL", async () => {
  const db = await table();
  await db.execute(sql`INSERT INTO copy_probe VALUES (1, ${"it's"}, ${Buffer.from([1, 2, 3])})`);

  expect(await readBinaryRows(db, rowsOf("nothing"))).toEqual([]);
  const [row] = await readBinaryRows(db, rowsOf("it's"));
  expect([...row![1]!]).toEqual([1, 2, 3]);
  expect(await readBinaryRows(db, rowsOf("x' OR '1'='1"))).toEqual([]);
});

test("in a transaction it reads on the transaction's connection and sees its uncommitted rows", async () => {
  const db = await table();
  const seen = await db.transaction(async (tx) => {
    await tx.execute(sql`INSERT INTO copy_probe VALUES (7, 'pending', ${Buffer.from([9])})`);
    return readBinaryRows(tx, rowsOf("pending"));
  });
  expect(seen.map((row) => [...row[1]!])).toEqual([[9]]);
});

test("a failing query throws PostgreSQL's error, and the pool goes on serving", async () => {
  const db = await table();
  await expect(readBinaryRows(db, sql`SELECT bytes FROM no_such_table`)).rejects.toThrow(/no_such_table/);
  await expect(readBinaryRows(db, rowsOf("nothing"))).resolves.toEqual([]);
  const { rows } = await db.execute<{ one: number }>(sql`SELECT 1 AS one`);
  expect(rows).toEqual([{ one: 1 }]);
});
