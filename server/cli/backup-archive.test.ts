import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { entryStream, listTarEntries, sha256OfEntry, TarWriter } from "./backup-archive";
import { findPgTool } from "./backup-pg-tools";

const dir = mkdtempSync(path.join(tmpdir(), "flip-tar-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the archive is a tar that lists back its entries byte for byte, and that tar itself unpacks", async () => {
  const source = path.join(dir, "big.bin");
  const big = Buffer.alloc(1_000_003, 7);
  writeFileSync(source, big);
  const file = path.join(dir, "a.tar");
  const out = await open(file, "w");
  const tar = new TarWriter(out);
  await tar.addBytes("manifest.json", Buffer.from('{"a":1}'));
  await tar.addBytes("empty", Buffer.alloc(0));
  expect(await tar.addFile("artifacts/ab/big", source, big.byteLength)).toBe(
    createHash("sha256").update(big).digest("hex"),
  );
  await tar.finish();
  await out.close();

  const handle = await open(file, "r");
  const entries = await listTarEntries(handle);
  await handle.close();
  expect(entries.map(({ name, size }) => ({ name, size }))).toEqual([
    { name: "manifest.json", size: 7 },
    { name: "empty", size: 0 },
    { name: "artifacts/ab/big", size: 1_000_003 },
  ]);
  expect(await sha256OfEntry(file, entries[2]!)).toBe(createHash("sha256").update(big).digest("hex"));
  const chunks: Buffer[] = [];
  for await (const chunk of entryStream(file, entries[0]!)) chunks.push(chunk);
  expect(Buffer.concat(chunks).toString()).toBe('{"a":1}');

  const untar = spawnSync("tar", ["-xf", file, "-C", dir]);
  if (untar.error) return; // no tar on this machine; the listing above is the check
  expect(untar.status).toBe(0);
  expect(readFileSync(path.join(dir, "artifacts/ab/big")).equals(big)).toBe(true);
});

test("a damaged header or a cut-off archive is reported, not misread", async () => {
  const file = path.join(dir, "b.tar");
  const out = await open(file, "w");
  const tar = new TarWriter(out);
  await tar.addBytes("one", Buffer.from("x".repeat(600)));
  await tar.finish();
  await out.close();
  const bytes = readFileSync(file);
  const list = async (content: Buffer) => {
    writeFileSync(file, content);
    const handle = await open(file, "r");
    try {
      return await listTarEntries(handle);
    } finally {
      await handle.close();
    }
  };
  const flipped = Buffer.from(bytes);
  flipped[10]! ^= 1;
  await expect(list(flipped)).rejects.toThrow("not a backup archive: bad tar header at byte 0");
  await expect(list(bytes.subarray(0, 1024))).rejects.toThrow('the backup is truncated: "one" runs past the end');
});

test("a pg tool that is not installed is undefined", () => {
  expect(findPgTool("pg_dump", [path.join(dir, "nowhere", "pg_dump")])).toBeUndefined();
});
