import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { loadVolume } from "./image-source";
import { readNifti } from "./nifti";

/** A NIfTI-1 file written byte by byte: int16 voxels i + 10j + 100k of an nx x ny x nz grid, with an sform. */
function niftiFile(dims: [number, number, number], srow: number[][], scale = { slope: 2, inter: -5 }): Uint8Array {
  const [nx, ny, nz] = dims;
  const bytes = new Uint8Array(352 + nx * ny * nz * 2);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, 348, true);
  [3, nx, ny, nz, 1, 1, 1, 1].forEach((d, i) => view.setInt16(40 + 2 * i, d, true));
  view.setInt16(70, 4, true); // NIFTI_TYPE_INT16
  view.setInt16(72, 16, true);
  [1, 1, 1, 1, 1, 1, 1, 1].forEach((p, i) => view.setFloat32(76 + 4 * i, p, true));
  view.setFloat32(108, 352, true);
  view.setFloat32(112, scale.slope, true);
  view.setFloat32(116, scale.inter, true);
  view.setInt16(254, 1, true); // sform_code: scanner anatomical
  srow.forEach((row, r) => row.forEach((v, c) => view.setFloat32(280 + 16 * r + 4 * c, v, true)));
  bytes.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) view.setInt16(352 + 2 * (i + nx * (j + ny * k)), i + 10 * j + 100 * k, true);
  return bytes;
}

const RAS = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
];

describe("NIfTI volumes", () => {
  test("RAS storage is turned to DICOM's view: columns to the patient's left, rows to posterior", () => {
    const volume = readNifti(niftiFile([2, 3, 2], RAS), "hounsfield");
    expect([volume.columns, volume.rows, volume.depth, volume.units]).toEqual([2, 3, 2, "hounsfield"]);
    // Output (x, y) on slice 0 is voxel (i = 1 - x, j = 2 - y, k = 0), scaled by 2 and shifted by -5.
    const at = (i: number, j: number, k: number) => 2 * (i + 10 * j + 100 * k) - 5;
    expect(Array.from(volume.voxels.subarray(0, 6))).toEqual([
      at(1, 2, 0),
      at(0, 2, 0),
      at(1, 1, 0),
      at(0, 1, 0),
      at(1, 0, 0),
      at(0, 0, 0),
    ]);
    expect(volume.voxels[6]).toBe(at(1, 2, 1));
  });

  test("slices stored head to foot are ordered along the normal", () => {
    const volume = readNifti(niftiFile([2, 3, 2], [RAS[0]!, RAS[1]!, [0, 0, -1, 0]]), "scanner");
    expect(volume.voxels[0]).toBe(2 * (1 + 20 + 100) - 5);
    expect(volume.voxels[6]).toBe(2 * (1 + 20) - 5);
  });

  const dataDir = mkdtempSync(path.join(tmpdir(), "flip-nifti-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test(".nii and .nii.gz files under the data folder read the same", async () => {
    const file = niftiFile([2, 3, 2], RAS);
    writeFileSync(path.join(dataDir, "scan.nii"), file);
    writeFileSync(path.join(dataDir, "scan.nii.gz"), gzipSync(file));
    const options = { dataDir, niftiUnits: "hounsfield" as const, signal: new AbortController().signal };
    const plain = await loadVolume({ localPath: "scan.nii", studyUid: null, seriesUid: null }, options);
    const gzipped = await loadVolume({ localPath: "scan.nii.gz", studyUid: null, seriesUid: null }, options);
    expect(gzipped).toEqual(plain);
  });

  test("a truncated file is unreadable, not a smaller image", () => {
    expect(() => readNifti(niftiFile([2, 3, 2], RAS).subarray(0, 360), "scanner")).toThrow(
      "the NIfTI image is shorter than its dimensions",
    );
  });
});
