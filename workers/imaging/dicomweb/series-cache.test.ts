import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { createSeriesCache } from "./series-cache";

/** The site's cache of PACS series stays under its size limit by dropping the least recently used series. */
const dir = mkdtempSync(path.join(tmpdir(), "flip-series-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const instances = (n: number, bytes: number) => Array.from({ length: n }, (_, i) => new Uint8Array(bytes).fill(i));

describe("series cache", () => {
  test("keeps what fits, evicts the least recently used, and survives a restart", async () => {
    const cache = createSeriesCache(dir, 3_000);
    await cache.put("1.1", "1.1.1", instances(2, 500)); // 1000 bytes
    await new Promise((resolve) => setTimeout(resolve, 10));
    await cache.put("1.1", "1.1.2", instances(2, 500));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await cache.get("1.1", "1.1.1")).toEqual(instances(2, 500)); // now the most recently used
    await new Promise((resolve) => setTimeout(resolve, 10));
    await cache.put("1.1", "1.1.3", instances(3, 500)); // 1500 bytes: 4000 in all, over the limit
    expect(await cache.sizeBytes()).toBeLessThanOrEqual(3_000);
    expect(await cache.get("1.1", "1.1.2")).toBeNull();
    expect(await cache.get("1.1", "1.1.1")).not.toBeNull();

    // File names are hashes: no UID is written to the disk's directory listing.
    expect(readdirSync(dir).every((name) => /^[0-9a-f]{64}$/.test(name))).toBe(true);
    const restarted = createSeriesCache(dir, 3_000);
    expect(await restarted.get("1.1", "1.1.3")).toEqual(instances(3, 500));
    expect(await restarted.sizeBytes()).toBe(2_500);
  });

  test("a series larger than the whole cache is not kept", async () => {
    const small = createSeriesCache(path.join(dir, "small"), 100);
    await small.put("2.2", "2.2.2", instances(1, 200));
    expect(await small.get("2.2", "2.2.2")).toBeNull();
  });
});
