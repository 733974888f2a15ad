import { sliceNormal, type DicomFrame, type DicomObject, type Orientation } from "./dicom-file";
import { ImageReadError } from "./image-error";

/**
 * A scan as the model's preprocessing sees it: `depth` slices of `rows` x `columns` values, slice
 * after slice, in modality units (Hounsfield units for CT, the scanner's units for MR), ordered
 * along the slice normal.
 */
export type Volume = { rows: number; columns: number; depth: number; voxels: Float32Array; units: VolumeUnits };
export type VolumeUnits = "hounsfield" | "scanner";

const ORIENTATION_TOLERANCE = 1e-3;
/** Slices closer than this (mm) along the normal are the same slice twice: two acquisitions in one series. */
const SAME_POSITION_MM = 1e-3;

/**
 * The volume of one series from its objects (one file per slice, or multi-frame objects): slices
 * ordered by their position along the normal of their common orientation, never by file name or
 * instance number, which scanners and exports number in either direction.
 */
export function volumeFromDicom(objects: readonly DicomObject[]): Volume {
  if (objects.length === 0) throw new ImageReadError("missing", "the series holds no DICOM objects");
  const series = new Set(objects.map((o) => o.seriesUid));
  if (series.size > 1) throw new ImageReadError("unreadable", `the folder holds ${series.size} series, not one`);
  const { rows, columns, modality } = objects[0]!;
  if (objects.some((o) => o.rows !== rows || o.columns !== columns))
    throw new ImageReadError("unreadable", "the series' images differ in size");
  const frames = objects.flatMap((o) => o.frames);
  const ordered = frames.length === 1 ? frames : orderAlongNormal(frames);
  const voxels = new Float32Array(rows * columns * ordered.length);
  ordered.forEach((frame, i) => voxels.set(frame.pixels, i * rows * columns));
  return { rows, columns, depth: ordered.length, voxels, units: modality === "CT" ? "hounsfield" : "scanner" };
}

function orderAlongNormal(frames: DicomFrame[]): DicomFrame[] {
  const orientation = frames[0]!.orientation;
  if (!orientation || frames.some((f) => !f.position || !f.orientation))
    throw new ImageReadError("unreadable", "the series' slices do not all give their position and orientation");
  if (frames.some((f) => !sameOrientation(f.orientation!, orientation)))
    throw new ImageReadError("unreadable", "the series' slices are not all in one orientation");
  const normal = sliceNormal(orientation);
  const along = (f: DicomFrame) => f.position!.reduce((sum, v, axis) => sum + v * normal[axis]!, 0);
  const sorted = frames.map((frame) => ({ frame, at: along(frame) })).sort((a, b) => a.at - b.at);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i]!.at - sorted[i - 1]!.at < SAME_POSITION_MM)
      throw new ImageReadError("unreadable", "two slices of the series lie at the same position");
  return sorted.map((s) => s.frame);
}

function sameOrientation(a: Orientation, b: Orientation): boolean {
  return a.every((v, i) => Math.abs(v - b[i]!) < ORIENTATION_TOLERANCE);
}
