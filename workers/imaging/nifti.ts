import { gunzipSync } from "node:zlib";
import * as nifti from "nifti-reader-js";
import { ImageReadError } from "./image-error";
import type { Volume, VolumeUnits } from "./volume";

/**
 * A NIfTI-1 or NIfTI-2 volume (.nii, .nii.gz) turned to the same view as a DICOM series: its
 * affine (sform, or qform, as nifti-reader-js resolves them) is taken to patient LPS space, the
 * in-plane axes are transposed and flipped so that columns run to the patient's left (or posterior)
 * and rows to posterior (or inferior), as DICOM images are stored, and slices are ordered along the
 * slice normal. Values are scaled by scl_slope and scl_inter. NIfTI carries no modality, so the
 * caller states the units (Hounsfield units for a CT model's series).
 */
const MAX_VOXELS = 2048 * 2048 * 1024;

export function readNifti(bytes: Uint8Array, units: VolumeUnits): Volume {
  let buffer: ArrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    // Inflated here with a bound (the reader's own gunzip has none), so a small file cannot claim the worker's memory.
    if (nifti.isCompressed(buffer)) {
      const inflated = gunzipSync(bytes, { maxOutputLength: MAX_VOXELS * 8 + 352 });
      buffer = inflated.buffer.slice(inflated.byteOffset, inflated.byteOffset + inflated.byteLength) as ArrayBuffer;
    }
  } catch (error) {
    throw new ImageReadError("unreadable", `the gzip stream could not be inflated (${String(error)})`);
  }
  if (!nifti.isNIFTI(buffer)) throw new ImageReadError("unreadable", "not a NIfTI file (no NIfTI magic)");
  const header = nifti.readHeader(buffer);
  const [, nx = 1, ny = 1, nz = 1, nt = 1] = header.dims;
  if (header.dims[0]! > 3 && nt > 1)
    throw new ImageReadError("unsupported", "a 4D NIfTI (time series) is not one scan");
  if (nx * ny * nz > MAX_VOXELS)
    throw new ImageReadError("unsupported", `${nx}x${ny}x${nz} is larger than the worker reads`);
  const raw = toFloat(nifti.readImage(header, buffer), header.datatypeCode, header.littleEndian, nx * ny * nz);
  const slope = header.scl_slope;
  const intercept = Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  if (Number.isFinite(slope) && slope !== 0) for (let i = 0; i < raw.length; i++) raw[i] = raw[i]! * slope + intercept;
  return reorient(raw, [nx, ny, nz], header.affine, units);
}

type Axis = { size: number; stride: number; direction: number[] };

function reorient(raw: Float32Array, dims: [number, number, number], affine: number[][], units: VolumeUnits): Volume {
  // RAS to LPS: negate the first two rows of the affine's direction columns.
  const axes: Axis[] = [0, 1, 2].map((a) => ({
    size: dims[a]!,
    stride: a === 0 ? 1 : a === 1 ? dims[0] : dims[0] * dims[1],
    direction: [-affine[0]![a]!, -affine[1]![a]!, affine[2]![a]!],
  }));
  const dominant = (axis: Axis) =>
    axis.direction.reduce((best, v, i, d) => (Math.abs(v) > Math.abs(d[best]!) ? i : best), 0);
  let [column, row] = [axes[0]!, axes[1]!];
  if (dominant(column) > dominant(row)) [column, row] = [row, column];
  const slice = axes[2]!;
  // Towards +L / +P increases along a row or column, except the head-foot axis, shown head up.
  const isFlipped = (axis: Axis) => {
    const d = dominant(axis);
    return d === 2 ? axis.direction[2]! > 0 : axis.direction[d]! < 0;
  };
  const flipColumn = isFlipped(column);
  const flipRow = isFlipped(row);
  const sign = (axis: Axis, flip: boolean) => axis.direction.map((v) => (flip ? -v : v));
  const c = sign(column, flipColumn);
  const r = sign(row, flipRow);
  const normal = [c[1]! * r[2]! - c[2]! * r[1]!, c[2]! * r[0]! - c[0]! * r[2]!, c[0]! * r[1]! - c[1]! * r[0]!];
  const reverseSlices = slice.direction.reduce((sum, v, i) => sum + v * normal[i]!, 0) < 0;

  const columns = column.size;
  const rows = row.size;
  const voxels = new Float32Array(columns * rows * slice.size);
  let out = 0;
  for (let s = 0; s < slice.size; s++) {
    const k = reverseSlices ? slice.size - 1 - s : s;
    for (let y = 0; y < rows; y++) {
      const j = flipRow ? rows - 1 - y : y;
      for (let x = 0; x < columns; x++) {
        const i = flipColumn ? columns - 1 - x : x;
        voxels[out++] = raw[k * slice.stride + j * row.stride + i * column.stride]!;
      }
    }
  }
  return { rows, columns, depth: slice.size, voxels, units };
}

function toFloat(image: ArrayBuffer, datatype: number, littleEndian: boolean, count: number): Float32Array {
  const view = new DataView(image);
  const read: Record<number, [number, (at: number) => number]> = {
    [nifti.NIFTI1.TYPE_UINT8]: [1, (at) => view.getUint8(at)],
    [nifti.NIFTI1.TYPE_INT8]: [1, (at) => view.getInt8(at)],
    [nifti.NIFTI1.TYPE_INT16]: [2, (at) => view.getInt16(at, littleEndian)],
    [nifti.NIFTI1.TYPE_UINT16]: [2, (at) => view.getUint16(at, littleEndian)],
    [nifti.NIFTI1.TYPE_INT32]: [4, (at) => view.getInt32(at, littleEndian)],
    [nifti.NIFTI1.TYPE_UINT32]: [4, (at) => view.getUint32(at, littleEndian)],
    [nifti.NIFTI1.TYPE_FLOAT32]: [4, (at) => view.getFloat32(at, littleEndian)],
    [nifti.NIFTI1.TYPE_FLOAT64]: [8, (at) => view.getFloat64(at, littleEndian)],
  };
  const reader = read[datatype];
  if (!reader) throw new ImageReadError("unsupported", `NIfTI datatype ${datatype} is not a greyscale scan`);
  const [bytes, get] = reader;
  if (image.byteLength < count * bytes)
    throw new ImageReadError("unreadable", "the NIfTI image is shorter than its dimensions");
  return Float32Array.from({ length: count }, (_, i) => get(i * bytes));
}
