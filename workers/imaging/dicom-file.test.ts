import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { readDicom } from "./dicom-file";
import { decimals, writeDicomFile, type DicomElement } from "./dicom-writer";
import { ImageReadError } from "./image-error";

const fixture = (name: string) => new Uint8Array(readFileSync(path.join(import.meta.dirname, "fixtures", name)));

describe("real DICOM files from pydicom's test set", () => {
  test("CT: signed 16-bit stored values plus the rescale intercept are Hounsfield units", async () => {
    const ct = await readDicom(fixture("CT_small.dcm"));
    expect([ct.modality, ct.rows, ct.columns, ct.frames.length]).toEqual(["CT", 128, 128, 1]);
    // dcmdump shows the first stored values 0x00af, 0x00b4, 0x00a6; the intercept is -1024.
    expect(Array.from(ct.frames[0]!.pixels.subarray(0, 3))).toEqual([175 - 1024, 180 - 1024, 166 - 1024]);
    expect(ct.frames[0]!.position).toEqual([-158.135803, -179.035797, -75.699997]);
    expect(ct.frames[0]!.orientation).toEqual([1, 0, 0, 0, 1, 0]);
  });

  test("implicit VR, RLE, JPEG-LS and JPEG 2000 encodings of one MR image decode to the same pixels", async () => {
    const reference = (await readDicom(fixture("MR_small.dcm"))).frames[0]!.pixels;
    expect(Array.from(reference.subarray(0, 3))).toEqual([0x389, 0x3fb, 0x4cb]);
    for (const name of [
      "MR_small_implicit.dcm",
      "MR_small_RLE.dcm",
      "MR_small_jpeg_ls_lossless.dcm",
      "MR_small_jp2klossless.dcm",
    ]) {
      const decoded = await readDicom(fixture(name));
      expect(decoded.frames[0]!.pixels, name).toEqual(reference);
    }
  });

  test("a deflated file is inflated: 512 x 512 8-bit", async () => {
    const image = await readDicom(fixture("image_dfl.dcm"));
    expect([image.rows, image.columns]).toEqual([512, 512]);
    expect(image.frames[0]!.pixels[0]).toBe(0xd5);
  });

  test("a multi-frame object gives every frame, placed by its grid frame offset", async () => {
    const dose = await readDicom(fixture("rtdose.dcm"));
    expect(dose.frames).toHaveLength(15);
    expect(dose.frames.map((f) => f.position![2])).toEqual(Array.from({ length: 15 }, (_, i) => -761.87 + 5 * i));
  });

  test("a transfer syntax the worker does not read is refused by name", async () => {
    await expect(readDicom(fixture("MR_small_bigendian.dcm"))).rejects.toThrow(
      "Explicit VR Big Endian (retired) (1.2.840.10008.1.2.2) is not read by this worker",
    );
  });

  test("a file that is not DICOM is named as such", async () => {
    const error = await readDicom(new Uint8Array(200)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageReadError);
    expect(error).toMatchObject({ kind: "not_dicom" });
  });
});

/** A one-frame 2 x 2 image with the given pixel module, written by the test. */
function image(
  bits: { allocated: 8 | 16; stored: number; signed: boolean },
  raw: number[],
  extra: DicomElement[] = [],
) {
  const bytes = new Uint8Array(raw.length * (bits.allocated / 8));
  const view = new DataView(bytes.buffer);
  raw.forEach((v, i) => (bits.allocated === 8 ? view.setUint8(i, v) : view.setUint16(2 * i, v, true)));
  return writeDicomFile({ classUid: "1.2.840.10008.5.1.4.1.1.2", instanceUid: "1.2.3.4" }, [
    { tag: 0x00080060, vr: "CS", value: "CT" },
    { tag: 0x00280002, vr: "US", value: 1 },
    { tag: 0x00280004, vr: "CS", value: "MONOCHROME2" },
    { tag: 0x00280010, vr: "US", value: 2 },
    { tag: 0x00280011, vr: "US", value: 2 },
    { tag: 0x00280100, vr: "US", value: bits.allocated },
    { tag: 0x00280101, vr: "US", value: bits.stored },
    { tag: 0x00280102, vr: "US", value: bits.stored - 1 },
    { tag: 0x00280103, vr: "US", value: bits.signed ? 1 : 0 },
    { tag: 0x7fe00010, vr: bits.allocated === 8 ? "OB" : "OW", value: bytes },
    ...extra,
  ]);
}

describe("pixel representations", () => {
  test("8-bit unsigned", async () => {
    const read = await readDicom(image({ allocated: 8, stored: 8, signed: false }, [0, 1, 128, 255]));
    expect(Array.from(read.frames[0]!.pixels)).toEqual([0, 1, 128, 255]);
  });

  test("12 bits stored in 16: bits above the high bit (an overlay, say) are ignored", async () => {
    const read = await readDicom(image({ allocated: 16, stored: 12, signed: false }, [0xf000, 0x0fff, 0x1001, 7]));
    expect(Array.from(read.frames[0]!.pixels)).toEqual([0, 4095, 1, 7]);
  });

  test("12-bit signed values are sign-extended from bit 11", async () => {
    const read = await readDicom(image({ allocated: 16, stored: 12, signed: true }, [0x0800, 0x0fff, 0x07ff, 0]));
    expect(Array.from(read.frames[0]!.pixels)).toEqual([-2048, -1, 2047, 0]);
  });

  test("16-bit signed with rescale slope and intercept", async () => {
    const read = await readDicom(
      image(
        { allocated: 16, stored: 16, signed: true },
        [0xffff, 0, 1000, 0x8000],
        [
          { tag: 0x00281052, vr: "DS", value: "-1000" },
          { tag: 0x00281053, vr: "DS", value: "0.5" },
        ],
      ),
    );
    expect(Array.from(read.frames[0]!.pixels)).toEqual([-1000.5, -1000, -500, -1000 - 16384]);
  });
});

describe("enhanced multi-frame", () => {
  test("per-frame positions and the shared rescale come from the functional groups", async () => {
    const frame = (z: number) => [
      {
        tag: 0x00209113,
        vr: "SQ" as const,
        value: [[{ tag: 0x00200032, vr: "DS" as const, value: decimals([0, 0, z]) }]],
      },
    ];
    const pixels = new Uint8Array(2 * 2 * 2 * 3);
    new DataView(pixels.buffer).setUint16(0, 100, true); // frame 1, first pixel
    const bytes = writeDicomFile({ classUid: "1.2.840.10008.5.1.4.1.1.2.1", instanceUid: "1.2.3.5" }, [
      { tag: 0x00080060, vr: "CS", value: "CT" },
      { tag: 0x00280002, vr: "US", value: 1 },
      { tag: 0x00280004, vr: "CS", value: "MONOCHROME2" },
      { tag: 0x00280008, vr: "IS", value: "3" },
      { tag: 0x00280010, vr: "US", value: 2 },
      { tag: 0x00280011, vr: "US", value: 2 },
      { tag: 0x00280100, vr: "US", value: 16 },
      { tag: 0x00280101, vr: "US", value: 16 },
      { tag: 0x00280103, vr: "US", value: 0 },
      {
        tag: 0x52009229,
        vr: "SQ",
        value: [
          [
            { tag: 0x00209116, vr: "SQ", value: [[{ tag: 0x00200037, vr: "DS", value: "1\\0\\0\\0\\1\\0" }]] },
            {
              tag: 0x00289145,
              vr: "SQ",
              value: [
                [
                  { tag: 0x00281052, vr: "DS", value: "-1024" },
                  { tag: 0x00281053, vr: "DS", value: "2" },
                ],
              ],
            },
          ],
        ],
      },
      { tag: 0x52009230, vr: "SQ", value: [frame(10), frame(-5), frame(2.5)] },
      { tag: 0x7fe00010, vr: "OW", value: pixels },
    ]);
    const read = await readDicom(bytes);
    expect(read.frames.map((f) => f.position)).toEqual([
      [0, 0, 10],
      [0, 0, -5],
      [0, 0, 2.5],
    ]);
    expect(read.frames[0]!.orientation).toEqual([1, 0, 0, 0, 1, 0]);
    expect(read.frames[0]!.pixels[0]).toBe(100 * 2 - 1024);
    expect(read.frames[1]!.pixels[0]).toBe(-1024);
  });
});
