import { decodeGrayPng } from "../training/png";
import { readDicom, type DicomObject } from "./dicom-file";
import { ImageReadError } from "./image-error";
import { readImageFile, resolveLocalImage } from "./local-files";
import { readNifti } from "./nifti";
import { volumeFromDicom, type Volume, type VolumeUnits } from "./volume";

/**
 * One referenced image, whatever it is stored as: a DICOM file or series folder, a NIfTI file or an
 * 8-bit PNG slice under the site's data folder, or a DICOMweb series on the Trust's PACS.
 */
export type ImageReference = {
  localPath: string | null;
  studyUid: string | null;
  seriesUid: string | null;
};

/** Retrieves a series from the PACS as DICOM Part 10 objects (workers/imaging/dicomweb/). */
export type SeriesRetriever = (studyUid: string, seriesUid: string, signal: AbortSignal) => Promise<Uint8Array[]>;

export type ImageSourceOptions = {
  dataDir: string;
  /** NIfTI carries no modality: a CT model's NIfTI volumes are taken to be in Hounsfield units. */
  niftiUnits: VolumeUnits;
  pacs?: SeriesRetriever;
  signal: AbortSignal;
};

export async function loadVolume(reference: ImageReference, options: ImageSourceOptions): Promise<Volume> {
  if (reference.localPath) return loadLocal(reference.localPath, options);
  if (options.pacs && reference.studyUid && reference.seriesUid) {
    const objects = await options.pacs(reference.studyUid, reference.seriesUid, options.signal);
    return volumeFromDicom(await Promise.all(objects.map(readDicom)));
  }
  throw new ImageReadError(
    "missing",
    options.pacs
      ? "the row names neither a local path nor a series"
      : "the row has no local path and no PACS is configured",
  );
}

async function loadLocal(localPath: string, options: ImageSourceOptions): Promise<Volume> {
  const image = await resolveLocalImage(options.dataDir, localPath);
  if (image.kind === "folder") {
    const objects: DicomObject[] = [];
    for (const file of image.files) {
      const bytes = await readImageFile(file);
      // Non-DICOM files beside a series (a README, a JSON sidecar) are not slices of it.
      if (!isDicom(bytes)) continue;
      objects.push(await readDicom(bytes));
    }
    if (objects.length === 0) throw new ImageReadError("not_dicom", "the folder holds no DICOM files");
    return volumeFromDicom(objects);
  }
  const bytes = await readImageFile(image.file);
  const lower = image.file.toLowerCase();
  if (lower.endsWith(".nii") || lower.endsWith(".nii.gz")) return readNifti(bytes, options.niftiUnits);
  if (isPng(bytes)) return pngVolume(bytes);
  return volumeFromDicom([await readDicom(bytes)]);
}

function isDicom(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
  );
}

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
}

/** An 8-bit greyscale PNG as a one-slice volume in [0, 1]: it carries no physical units. */
function pngVolume(bytes: Uint8Array): Volume {
  let image;
  try {
    image = decodeGrayPng(bytes);
  } catch (error) {
    throw new ImageReadError("unreadable", `the PNG could not be decoded (${String(error)})`);
  }
  return {
    rows: image.height,
    columns: image.width,
    depth: 1,
    voxels: Float32Array.from(image.pixels, (v) => v / 255),
    units: "scanner",
  };
}
