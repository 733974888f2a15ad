import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadVolume } from "./image-source";
import { writeSeries, type SeriesSpec } from "./synthetic-series";

/**
 * A series folder becomes one volume ordered along the slice normal, whatever the file names and
 * instance numbers say; the worker reads nothing outside the data folder.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), "flip-volume-"));
const outside = mkdtempSync(path.join(tmpdir(), "flip-outside-"));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const slice = (value: number) => new Float32Array(4).fill(value);
const spec = (overrides: Partial<SeriesSpec> = {}): SeriesSpec => ({
  modality: "CT",
  seed: "volume-test",
  patient: { id: "P1", name: "Test^Patient", birthDate: "19500101", sex: "F" },
  studyDate: "20240101",
  rows: 2,
  columns: 2,
  slices: [slice(-100), slice(0), slice(100), slice(200)],
  ...overrides,
});
const options = { dataDir, niftiUnits: "hounsfield" as const, signal: new AbortController().signal };

function writeFolder(name: string, files: { bytes: Uint8Array }[], names: (i: number) => string) {
  const folder = path.join(dataDir, name);
  mkdirSync(folder, { recursive: true });
  files.forEach((f, i) => writeFileSync(path.join(folder, names(i)), f.bytes));
  return name;
}

describe("series folders", () => {
  test("slices are ordered by position along the normal, not by file name or instance number", async () => {
    const files = writeSeries(spec());
    // File names run opposite to position, and the instance numbers are shuffled with them.
    const folder = writeFolder("reversed", [files[2]!, files[0]!, files[3]!, files[1]!], (i) => `IM${i}.dcm`);
    const volume = await loadVolume({ localPath: folder, studyUid: null, seriesUid: null }, options);
    expect([volume.depth, volume.rows, volume.columns, volume.units]).toEqual([4, 2, 2, "hounsfield"]);
    expect(Array.from({ length: 4 }, (_, k) => volume.voxels[k * 4])).toEqual([-100, 0, 100, 200]);
  });

  test("an oblique series is ordered along its own normal", async () => {
    // Rows along x, columns tilted 30 degrees out of the axial plane: the normal is (0, -sin 30, cos 30).
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const files = writeSeries(spec({ seed: "oblique", orientation: [1, 0, 0, 0, c, s] }));
    const folder = writeFolder("oblique", [...files].reverse(), (i) => `${i}`);
    const volume = await loadVolume({ localPath: folder, studyUid: null, seriesUid: null }, options);
    expect(Array.from({ length: 4 }, (_, k) => volume.voxels[k * 4])).toEqual([-100, 0, 100, 200]);
  });

  test("two series in one folder, or one slice twice, are refused rather than mixed", async () => {
    const a = writeSeries(spec({ seed: "a" }));
    const b = writeSeries(spec({ seed: "b" }));
    writeFolder("two-series", [a[0]!, b[1]!], (i) => `${i}.dcm`);
    await expect(loadVolume({ localPath: "two-series", studyUid: null, seriesUid: null }, options)).rejects.toThrow(
      "the folder holds 2 series, not one",
    );
    writeFolder("twice", [a[1]!, a[1]!], (i) => `${i}.dcm`);
    await expect(loadVolume({ localPath: "twice", studyUid: null, seriesUid: null }, options)).rejects.toThrow(
      "two slices of the series lie at the same position",
    );
  });
});

describe("the data folder is the boundary", () => {
  const refusal = (localPath: string) =>
    loadVolume({ localPath, studyUid: null, seriesUid: null }, options).catch((e: unknown) => e);

  test("paths that climb out, absolute paths and symbolic links out are refused", async () => {
    writeFileSync(path.join(outside, "secret.dcm"), writeSeries(spec())[0]!.bytes);
    symlinkSync(path.join(outside, "secret.dcm"), path.join(dataDir, "link.dcm"));
    mkdirSync(path.join(dataDir, "linked-folder"));
    symlinkSync(path.join(outside, "secret.dcm"), path.join(dataDir, "linked-folder", "1.dcm"));
    symlinkSync(outside, path.join(dataDir, "linked-dir"));
    for (const localPath of [
      `../${path.basename(outside)}/secret.dcm`,
      path.join(outside, "secret.dcm"),
      "link.dcm",
      "linked-folder",
      "linked-dir",
      "linked-dir/secret.dcm",
      ".",
    ]) {
      expect(await refusal(localPath), localPath).toMatchObject({ kind: "outside_data_folder" });
    }
  });

  test("a file that is not there is missing, and an empty folder holds no images", async () => {
    expect(await refusal("no/such/series")).toMatchObject({ kind: "missing" });
    mkdirSync(path.join(dataDir, "empty"));
    expect(await refusal("empty")).toMatchObject({ kind: "missing" });
  });
});
