import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Series retrieved from the PACS, kept in the worker's state folder so that the next round or
 * evaluation does not fetch them again; the folder never leaves the site. Entries are named by a
 * hash of the UIDs. When the total passes `maxBytes` the least recently used series are removed
 * (use is recorded in the entry's modification time, so the order survives a restart).
 */
type Entry = { name: string; bytes: number; usedAt: number };

export type SeriesCache = {
  get(studyUid: string, seriesUid: string): Promise<Uint8Array[] | null>;
  put(studyUid: string, seriesUid: string, instances: readonly Uint8Array[]): Promise<void>;
  sizeBytes(): Promise<number>;
};

export function createSeriesCache(dir: string, maxBytes: number): SeriesCache {
  let index: Promise<Map<string, Entry>> | null = null;
  const entries = () => (index ??= loadIndex(dir));
  const keyOf = (study: string, series: string) => createHash("sha256").update(`${study}\n${series}`).digest("hex");

  async function evict(map: Map<string, Entry>, keep: string): Promise<void> {
    let total = [...map.values()].reduce((n, e) => n + e.bytes, 0);
    const oldest = [...map.values()].sort((a, b) => a.usedAt - b.usedAt);
    for (const entry of oldest) {
      if (total <= maxBytes) break;
      if (entry.name === keep) continue;
      await rm(path.join(dir, entry.name), { recursive: true, force: true });
      map.delete(entry.name);
      total -= entry.bytes;
    }
  }

  return {
    async get(studyUid, seriesUid) {
      const map = await entries();
      const entry = map.get(keyOf(studyUid, seriesUid));
      if (!entry) return null;
      const folder = path.join(dir, entry.name);
      try {
        const files = (await readdir(folder)).sort();
        const instances = await Promise.all(
          files.map(async (f) => new Uint8Array(await readFile(path.join(folder, f)))),
        );
        entry.usedAt = Date.now();
        await utimes(folder, new Date(), new Date(entry.usedAt));
        return instances;
      } catch {
        map.delete(entry.name);
        return null;
      }
    },

    async put(studyUid, seriesUid, instances) {
      const map = await entries();
      const name = keyOf(studyUid, seriesUid);
      const bytes = instances.reduce((n, i) => n + i.length, 0);
      if (bytes > maxBytes) return; // a series larger than the whole cache is read each time
      const staging = path.join(dir, `.staging-${name}-${process.pid}`);
      await mkdir(staging, { recursive: true });
      await Promise.all(
        instances.map((data, i) => writeFile(path.join(staging, `${String(i).padStart(6, "0")}.dcm`), data)),
      );
      await rm(path.join(dir, name), { recursive: true, force: true });
      await rename(staging, path.join(dir, name));
      map.set(name, { name, bytes, usedAt: Date.now() });
      await evict(map, name);
    },

    async sizeBytes() {
      return [...(await entries()).values()].reduce((n, e) => n + e.bytes, 0);
    },
  };
}

async function loadIndex(dir: string): Promise<Map<string, Entry>> {
  await mkdir(dir, { recursive: true });
  const map = new Map<string, Entry>();
  for (const name of await readdir(dir)) {
    const folder = path.join(dir, name);
    // Staging folders are what a crash mid-write left behind.
    if (name.startsWith(".staging-")) {
      await rm(folder, { recursive: true, force: true });
      continue;
    }
    const info = await stat(folder);
    if (!info.isDirectory()) continue;
    let bytes = 0;
    for (const file of await readdir(folder)) bytes += (await stat(path.join(folder, file))).size;
    map.set(name, { name, bytes, usedAt: info.mtimeMs });
  }
  return map;
}
