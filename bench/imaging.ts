/**
 * bench:imaging — what reading DICOM costs the site worker.
 *
 * 1. Series per second through the whole image path (parse, HU conversion, volume ordered along
 *    the normal, 2.5D stack of 3 with the stroke window, resize to 64x64), against a plain read
 *    of the same files' bytes in the same run: synthetic CT series of BENCH_SLICES slices of
 *    BENCH_SIZE^2 16-bit pixels (Explicit VR Little Endian), BENCH_SERIES of them.
 * 2. The CT demo model on one generated site stored both ways: dataset building (examples/s) and
 *    one local epoch of the small_cnn template, DICOM series folders against PNG slices.
 *
 * BENCH_SERIES (default 24), BENCH_SLICES (32), BENCH_SIZE (256), BENCH_PERSONS (3000) tune it.
 * Ratios are the figures to compare between runs; times alone are noisy on a shared machine.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { buildTemplate } from "@/protocol/models/templates";
import { buildModel } from "@/protocol/models/weights";
import type { ImageInput } from "@/protocol/model-spec";
import { withDatabase } from "@/db/pg-connection";
import { dropDatabase, startEmbeddedServer } from "@/server/database/embedded-server";
import { readDicom } from "@/workers/imaging/dicom-file";
import { preprocessVolume } from "@/workers/imaging/preprocess";
import { writeSeries } from "@/workers/imaging/synthetic-series";
import { volumeFromDicom } from "@/workers/imaging/volume";
import { createLogger } from "@/workers/log";
import { generateSiteData } from "@/workers/site-data/generate";
import { createSiteDb } from "@/workers/site-db";
import { ZSitePolicy } from "@/workers/policy";
import { buildOnBestBackend } from "@/workers/training/backend";
import { buildDataset } from "@/workers/training/dataset";
import { trainLocally } from "@/workers/training/train";
import { STROKE } from "@/workers/test-support/training-site";
import { timeBest } from "./lib/measure";

const SERIES = Number(process.env.BENCH_SERIES ?? 24);
const SLICES = Number(process.env.BENCH_SLICES ?? 32);
const SIZE = Number(process.env.BENCH_SIZE ?? 256);
const PERSONS = Number(process.env.BENCH_PERSONS ?? 3000);
const quiet = createLogger({}, { write: () => undefined });

const input: ImageInput = {
  kind: "image",
  height: 64,
  width: 64,
  channels: 3,
  modality: "CT",
  preprocessing: { window: { kind: "preset", preset: "stroke" }, slices: { kind: "stack", count: 3 } },
};

async function seriesThroughput(root: string): Promise<[string, string][]> {
  const folders: string[][] = [];
  for (let s = 0; s < SERIES; s++) {
    const slices = Array.from({ length: SLICES }, (_, k) =>
      Float32Array.from({ length: SIZE * SIZE }, (_, i) => ((i * 7 + k * 13 + s) % 200) - 60),
    );
    const files = writeSeries({
      modality: "CT",
      seed: `bench-${s}`,
      patient: { id: `BENCH-${s}`, name: "BENCH^SERIES", birthDate: "", sex: "" },
      studyDate: "20240101",
      rows: SIZE,
      columns: SIZE,
      slices,
    });
    const folder = path.join(root, `series-${s}`);
    mkdirSync(folder);
    // Written in reverse, so ordering along the normal has work to do.
    folders.push(
      files.reverse().map((f, i) => {
        const file = path.join(folder, `${i}.dcm`);
        writeFileSync(file, f.bytes);
        return file;
      }),
    );
  }
  let checksum = 0;
  const plain = async () => {
    for (const files of folders) for (const file of files) checksum += (await readFile(file)).length;
  };
  const decodeOnly = async () => {
    for (const files of folders) for (const file of files) checksum += (await readDicom(await readFile(file))).rows;
  };
  const full = async () => {
    for (const files of folders) {
      const objects = [];
      for (const file of files) objects.push(await readDicom(await readFile(file)));
      checksum += preprocessVolume(volumeFromDicom(objects), input)[0]!;
    }
  };
  await plain();
  await full();
  const plainMs = await timeBest(plain, 3);
  const decodeMs = await timeBest(decodeOnly, 3);
  const fullMs = await timeBest(full, 3);
  const perSecond = (ms: number) => (SERIES * 1000) / ms;
  const megabytes = (SERIES * SLICES * SIZE * SIZE * 2) / 1e6;
  return [
    ["series", `${SERIES} x ${SLICES} slices of ${SIZE}x${SIZE} 16-bit (${megabytes.toFixed(0)} MB)`],
    ["plain read series/s", perSecond(plainMs).toFixed(2)],
    ["parse + HU series/s", perSecond(decodeMs).toFixed(2)],
    ["full path series/s", `${perSecond(fullMs).toFixed(2)} (${(megabytes / (fullMs / 1000)).toFixed(0)} MB/s)`],
    ["full path / plain read", `${(plainMs / fullMs).toFixed(3)}x the plain read's rate`],
    ["checksum", String(checksum % 1000)],
  ];
}

async function trainingComparison(adminUrl: string): Promise<[string, string][]> {
  const rows: [string, string][] = [];
  const results: Record<string, { buildMs: number; examples: number; epochMs: number }> = {};
  for (const images of ["png", "dicom"] as const) {
    const database = `flip_bench_img_${randomBytes(4).toString("hex")}`;
    const dataDir = mkdtempSync(path.join(tmpdir(), `flip-bench-${images}-`));
    const databaseUrl = withDatabase(adminUrl, database);
    try {
      await generateSiteData({ site: "KCH", persons: PERSONS, seed: 3, databaseUrl, dataDir, images });
      const siteDb = createSiteDb({ url: databaseUrl, schema: "public", maxConnections: 2, log: quiet });
      const ctx = {
        siteDb,
        dataDir,
        signal: new AbortController().signal,
        log: quiet,
        progress: async () => undefined,
        policy: ZSitePolicy.parse({ site: "KCH" }),
      };
      const request = { ...STROKE, split: { seed: "bench", validationFraction: 0.2 } };
      let dataset = await buildDataset(request, ctx, [0, 1]);
      const buildMs = await timeBest(async () => {
        dataset = await buildDataset(request, ctx, [0, 1]);
      }, 2);
      await siteDb.close();
      const architecture = buildTemplate("small_cnn", { task: "binary_classification", input: STROKE.model.input });
      const { model } = await buildOnBestBackend(() => buildModel(architecture), dataset.exampleShape, quiet);
      const started = performance.now();
      await trainLocally(model, dataset.train, dataset.exampleShape, {
        localEpochs: 1,
        batchSize: 32,
        learningRate: 0.003,
        optimizer: "adam",
        seed: "bench",
        signal: new AbortController().signal,
        onBatch: async () => undefined,
      });
      const epochMs = performance.now() - started;
      model.dispose();
      const examples = dataset.train.count + dataset.validation.count + dataset.test.count;
      results[images] = { buildMs, examples, epochMs };
      rows.push([`${images}: dataset examples/s`, `${((examples * 1000) / buildMs).toFixed(1)} (${examples} scans)`]);
      rows.push([`${images}: one epoch`, `${(epochMs / 1000).toFixed(1)} s (${dataset.train.count} training scans)`]);
      rows.push([`${images}: files`, String(readdirSync(path.join(dataDir, "images", "CT")).length)]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      await dropDatabase(adminUrl, database);
    }
  }
  const png = results.png!;
  const dicom = results.dicom!;
  const roundMs = (r: typeof png) => r.buildMs + r.epochMs;
  rows.push(["dataset: dicom / png time", `${(dicom.buildMs / png.buildMs).toFixed(2)}x`]);
  rows.push(["dataset + epoch: dicom / png", `${(roundMs(dicom) / roundMs(png)).toFixed(2)}x`]);
  return rows;
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), "flip-bench-imaging-"));
  try {
    const throughput = await seriesThroughput(root);
    for (const [label, value] of throughput) console.log(`${label.padEnd(30)} ${value}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const adminUrl =
    process.env.TEST_DATABASE_URL ??
    process.env.DATABASE_URL ??
    (await startEmbeddedServer({ dataDir: path.resolve(".data", "bench-postgres"), port: 54359 })).adminUrl;
  console.log("");
  for (const [label, value] of await trainingComparison(adminUrl)) console.log(`${label.padEnd(30)} ${value}`);
}

await main();
