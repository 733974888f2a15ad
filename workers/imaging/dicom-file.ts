import { inflateRawSync } from "node:zlib";
import dicomParser from "dicom-parser";
import { decodeFrame } from "./codecs";
import { IDENTIFYING_TAGS, rememberIdentifiers } from "./identifiers";
import { ImageReadError } from "./image-error";
import { readFrameBytes } from "./pixel-data";
import { pixelEncodingOf, transferSyntaxName } from "./transfer-syntax";

/**
 * One DICOM Part 10 object read into rescaled values: every frame of a classic or enhanced
 * (multi-frame) image as Float32 in modality units (Hounsfield units for CT), each with its position
 * and orientation in patient space where the header gives them. Header values are used to build
 * the volume and never leave this module's callers' process (none is logged or reported).
 */
export type DicomFrame = { pixels: Float32Array; position: Vec3 | null; orientation: Orientation | null };
export type DicomObject = {
  modality: string;
  seriesUid: string;
  rows: number;
  columns: number;
  frames: DicomFrame[];
};
export type Vec3 = [number, number, number];
export type Orientation = [number, number, number, number, number, number];

/** Larger objects are refused before their pixels are allocated: 2048 x 2048 x 1024 samples. */
const MAX_SAMPLES = 2048 * 2048 * 1024;
/** A deflated object inflates to at most this: a small file cannot claim the worker's memory. */
const MAX_INFLATED_BYTES = 2 * 1024 ** 3;

/** The deflated dataset after the File Meta group, inflated with a bound (the parser's own inflater has none). */
function inflateBounded(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(bytes.subarray(position), { maxOutputLength: MAX_INFLATED_BYTES });
  const whole = new Uint8Array(position + inflated.length);
  whole.set(bytes.subarray(0, position));
  whole.set(inflated, position);
  return whole;
}

export async function readDicom(bytes: Uint8Array): Promise<DicomObject> {
  if (bytes.length < 132 || String.fromCharCode(...bytes.subarray(128, 132)) !== "DICM")
    throw new ImageReadError("not_dicom", "not a DICOM Part 10 file (no DICM prefix)");
  let data: dicomParser.DataSet;
  try {
    data = dicomParser.parseDicom(bytes, { inflater: inflateBounded } as dicomParser.ParseDicomOptions);
  } catch (error) {
    throw new ImageReadError("unreadable", `the DICOM header could not be parsed (${String(error)})`);
  }
  rememberIdentifiers(IDENTIFYING_TAGS.map((tag) => data.string(tag)));
  const syntax = data.string("x00020010")?.trim() ?? "";
  const encoding = pixelEncodingOf(syntax);
  if (!encoding) throw new ImageReadError("unsupported", `${transferSyntaxName(syntax)} is not read by this worker`);
  const photometric = data.string("x00280004")?.trim() ?? "";
  const samples = data.uint16("x00280002") ?? 1;
  if (!photometric.startsWith("MONOCHROME") || samples !== 1)
    throw new ImageReadError("unsupported", `a ${photometric || "colour"} image is not a greyscale scan`);
  const rows = data.uint16("x00280010") ?? 0;
  const columns = data.uint16("x00280011") ?? 0;
  const bitsAllocated = data.uint16("x00280100") ?? 0;
  const bitsStored = data.uint16("x00280101") ?? bitsAllocated;
  const isSigned = data.uint16("x00280103") === 1;
  const frameCount = Math.max(1, Number.parseInt(data.string("x00280008") ?? "1", 10) || 1);
  if (![8, 16, 32].includes(bitsAllocated) || bitsStored < 1 || bitsStored > bitsAllocated)
    throw new ImageReadError("unsupported", `${bitsAllocated}-bit pixels (${bitsStored} stored) are not read`);
  if (rows < 1 || columns < 1) throw new ImageReadError("unreadable", "the image has no rows or columns");
  if (rows * columns * frameCount > MAX_SAMPLES)
    throw new ImageReadError("unsupported", `${columns}x${rows}x${frameCount} is larger than the worker reads`);
  const pixelData = data.elements.x7fe00010;
  if (!pixelData) throw new ImageReadError("unreadable", "the object has no pixel data");

  const layout = { rows, columns, bytesPerSample: bitsAllocated / 8, samples: 1 };
  const geometry = frameGeometry(data, frameCount);
  const frames: DicomFrame[] = [];
  for (let f = 0; f < frameCount; f++) {
    let native: Uint8Array;
    try {
      native = await decodeFrame(encoding, readFrameBytes(data, pixelData, f, frameCount, layout), layout);
    } catch (error) {
      if (error instanceof ImageReadError) throw error;
      throw new ImageReadError("unreadable", `frame ${f + 1} could not be decoded (${String(error)})`);
    }
    const { slope, intercept } = rescaleOf(data, f);
    frames.push({
      pixels: toValues(native, rows * columns, bitsAllocated, bitsStored, isSigned, slope, intercept),
      ...geometry[f]!,
    });
  }
  return {
    modality: data.string("x00080060")?.trim() ?? "",
    seriesUid: data.string("x0020000e")?.trim() ?? "",
    rows,
    columns,
    frames,
  };
}

/** Stored samples (masked to Bits Stored, sign-extended when signed) times slope plus intercept. */
function toValues(
  native: Uint8Array,
  count: number,
  bitsAllocated: number,
  bitsStored: number,
  isSigned: boolean,
  slope: number,
  intercept: number,
): Float32Array {
  const bytes = bitsAllocated / 8;
  if (native.length < count * bytes) throw new ImageReadError("unreadable", "the pixel data is shorter than the image");
  // Samples are little-endian, as on every machine the worker runs on: read through a typed view
  // (of a copy when the frame is not aligned to the sample size).
  const aligned = native.byteOffset % bytes === 0 ? native : native.slice(0, count * bytes);
  const raw =
    bytes === 1
      ? aligned.subarray(0, count)
      : bytes === 2
        ? new Uint16Array(aligned.buffer, aligned.byteOffset, count)
        : new Uint32Array(aligned.buffer, aligned.byteOffset, count);
  const out = new Float32Array(count);
  const shift = 32 - bitsStored;
  // Shifting the stored bits to the top of a 32-bit word and back drops the unused high bits and extends the sign.
  if (isSigned) for (let i = 0; i < count; i++) out[i] = ((raw[i]! << shift) >> shift) * slope + intercept;
  else if (bitsStored === 32) for (let i = 0; i < count; i++) out[i] = raw[i]! * slope + intercept;
  else for (let i = 0; i < count; i++) out[i] = ((raw[i]! << shift) >>> shift) * slope + intercept;
  return out;
}

const PER_FRAME = "x52009230";
const SHARED = "x52009229";

/** A functional group's item for a frame: its own in the per-frame sequence, else the shared one. */
function functionalItem(data: dicomParser.DataSet, frame: number, sequence: string): dicomParser.DataSet | undefined {
  const own = data.elements[PER_FRAME]?.items?.[frame]?.dataSet?.elements[sequence]?.items?.[0]?.dataSet;
  return own ?? data.elements[SHARED]?.items?.[0]?.dataSet?.elements[sequence]?.items?.[0]?.dataSet;
}

function rescaleOf(data: dicomParser.DataSet, frame: number): { slope: number; intercept: number } {
  const group = functionalItem(data, frame, "x00289145") ?? data;
  const slope = group.floatString("x00281053");
  const intercept = group.floatString("x00281052");
  return { slope: Number.isFinite(slope) ? slope! : 1, intercept: Number.isFinite(intercept) ? intercept! : 0 };
}

function numbers(data: dicomParser.DataSet | undefined, tag: string, count: number): number[] | null {
  const text = data?.string(tag);
  if (!text) return null;
  const values = text.split("\\").map(Number);
  return values.length === count && values.every(Number.isFinite) ? values : null;
}

/** Position and orientation per frame: enhanced functional groups, else the classic tags (with a grid offset or slice spacing for classic multi-frame). */
function frameGeometry(data: dicomParser.DataSet, frameCount: number): Omit<DicomFrame, "pixels">[] {
  const classicPosition = numbers(data, "x00200032", 3) as Vec3 | null;
  const classicOrientation = numbers(data, "x00200037", 6) as Orientation | null;
  const offsets = numbers(data, "x3004000c", frameCount);
  const spacing = data.floatString("x00180088");
  return Array.from({ length: frameCount }, (_, f) => {
    const position = numbers(functionalItem(data, f, "x00209113"), "x00200032", 3) as Vec3 | null;
    const orientation = (numbers(functionalItem(data, f, "x00209116"), "x00200037", 6) ??
      classicOrientation) as Orientation | null;
    if (position) return { position, orientation };
    if (!classicPosition) return { position: null, orientation };
    const step = offsets ? offsets[f]! : frameCount > 1 && Number.isFinite(spacing) ? f * spacing! : 0;
    const normal = orientation ? sliceNormal(orientation) : ([0, 0, 1] as Vec3);
    return {
      position: classicPosition.map((v, axis) => v + step * normal[axis]!) as Vec3,
      orientation,
    };
  });
}

export function sliceNormal(o: Orientation): Vec3 {
  return [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
}
