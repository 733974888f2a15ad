import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { dropDatabase } from "@/server/database/embedded-server";
import { withDatabase } from "@/db/pg-connection";
import { readDicom } from "../imaging/dicom-file";
import { createDicomwebClient } from "../imaging/dicomweb/client";
import { createPacsRetriever } from "../imaging/dicomweb/retriever";
import { createSeriesCache } from "../imaging/dicomweb/series-cache";
import { ImageHealth } from "../imaging/imaging-context";
import { isOrthancInstalled, startOrthanc, type RunningOrthanc } from "../test-support/orthanc";
import { createSiteDb } from "../site-db";
import { quietLog, STROKE, testContext } from "../test-support/training-site";
import { buildDataset } from "../training/dataset";
import { renderSeries } from "./dicom-images";
import type { ImageTask } from "./events";
import { generateSiteData } from "./generate";
import { resolveSiteProfile } from "./profiles";

/** The generator's DICOM series: valid headers, Hounsfield units, a hypodense infarct; in folders or on a PACS. */
const adminUrl = inject("pgAdminUrl");
const profile = resolveSiteProfile("KCH", 1);
const task = (hasLesion: boolean, modality: "CT" | "MR" = "CT"): ImageTask => ({
  imageOccurrenceId: 7,
  modality,
  hasLesion,
  seed: 1234,
  localPath: "images/CT/x",
  personId: 42,
  studyUid: "2.25.1",
  seriesUid: "2.25.2",
  date: "2024-03-01",
});

describe("synthetic DICOM series", () => {
  test("a CT series: five slices with CT headers, in Hounsfield units, brain near 35 HU", async () => {
    const files = renderSeries(task(false), profile);
    expect(files).toHaveLength(5);
    const first = await readDicom(files[0]!.bytes);
    expect([first.modality, first.seriesUid, first.rows, first.columns]).toEqual(["CT", "2.25.2", 64, 64]);
    const centre = (await readDicom(files[2]!.bytes)).frames[0]!.pixels;
    expect(Math.min(...centre)).toBeLessThanOrEqual(-900); // air
    expect(Math.max(...centre)).toBeGreaterThan(500); // skull
    const brain = centre[32 * 64 + 40]!;
    expect(brain).toBeGreaterThan(15);
    expect(brain).toBeLessThan(60);
  });

  test("an infarct is hypodense: 10 to 70 HU darker than the same brain without it (early to established), on the centre slice", async () => {
    const centre = async (hasLesion: boolean) =>
      (await readDicom(renderSeries(task(hasLesion), profile)[2]!.bytes)).frames[0]!.pixels;
    const [withLesion, without] = [await centre(true), await centre(false)];
    const difference = withLesion.map((v, i) => v - without[i]!);
    expect(Math.max(...difference)).toBeLessThanOrEqual(0);
    expect(Math.min(...difference)).toBeLessThan(-10);
    expect(Math.min(...difference)).toBeGreaterThan(-70);
  });

  test("an MR series is in scanner units", async () => {
    const mr = await readDicom(renderSeries(task(false, "MR"), profile)[0]!.bytes);
    expect(mr.modality).toBe("MR");
    expect(Math.max(...mr.frames[0]!.pixels)).toBeGreaterThan(255);
  });
});

describe("generated sites with DICOM images", () => {
  const dirs: string[] = [];
  const databases: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    for (const database of databases) await dropDatabase(adminUrl, database);
  });
  const site = async (images: "dicom" | "pacs", pacs?: { url: string; authHeader?: string }) => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "flip-dicom-site-"));
    const database = `flip_dicom_${Math.random().toString(16).slice(2, 10)}`;
    dirs.push(dataDir);
    databases.push(database);
    const databaseUrl = withDatabase(adminUrl, database);
    await generateSiteData({ site: "KCH", persons: 400, seed: 3, databaseUrl, dataDir, images, pacs });
    const siteDb = createSiteDb({ url: databaseUrl, schema: "public", maxConnections: 2, log: quietLog });
    return { siteDb, dataDir, databaseUrl, drop: async () => siteDb.close() };
  };

  test("series folders the worker reads into the stroke model's inputs", async () => {
    const dicomSite = await site("dicom");
    try {
      const ctFolders = readdirSync(path.join(dicomSite.dataDir, "images", "CT"));
      expect(ctFolders.length).toBeGreaterThan(5);
      expect(readdirSync(path.join(dicomSite.dataDir, "images", "CT", ctFolders[0]!))).toEqual([
        "0001.dcm",
        "0002.dcm",
        "0003.dcm",
        "0004.dcm",
        "0005.dcm",
      ]);
      const dataset = await buildDataset(
        { ...STROKE, split: { seed: "dicom", validationFraction: 0.2 } },
        testContext(dicomSite),
        [0, 1],
      );
      expect(dataset.unreadableImages).toBe(0);
      expect(dataset.train.count + dataset.validation.count + dataset.test.count).toBe(ctFolders.length);
    } finally {
      await dicomSite.drop();
    }
  }, 120_000);

  describe.skipIf(!isOrthancInstalled)("on a PACS", () => {
    let orthanc: RunningOrthanc;
    beforeAll(async () => {
      orthanc = await startOrthanc({ users: { demo: "demo" } });
    }, 60_000);
    afterAll(async () => orthanc?.stop());

    test("loaded into Orthanc, read back by UID with no local paths", async () => {
      const authHeader = `Authorization: Basic ${Buffer.from("demo:demo").toString("base64")}`;
      const pacsSite = await site("pacs", { url: orthanc.dicomwebUrl, authHeader });
      try {
        expect(readdirSync(pacsSite.dataDir)).toEqual([]);
        const client = createDicomwebClient({
          baseUrl: orthanc.dicomwebUrl,
          headers: { authorization: authHeader.slice("Authorization: ".length) },
          tls: {},
          concurrency: 4,
          retries: 2,
          timeoutMs: 10_000,
          maxSeriesBytes: 1 << 26,
        });
        const cacheDir = mkdtempSync(path.join(tmpdir(), "flip-dicom-cache-"));
        dirs.push(cacheDir);
        const health = new ImageHealth();
        const pacs = createPacsRetriever(client, createSeriesCache(cacheDir, 1 << 30), quietLog);
        const dataset = await buildDataset(
          { ...STROKE, split: { seed: "pacs", validationFraction: 0.2 } },
          { ...testContext(pacsSite), imaging: { pacs, concurrency: 4, health } },
          [0, 1],
        );
        client.close();
        expect(dataset.unreadableImages).toBe(0);
        expect(dataset.train.count).toBeGreaterThan(5);
        expect(health.selfCheck()).toEqual({ name: "images", ok: true });
      } finally {
        await pacsSite.drop();
      }
    }, 120_000);
  });
});
