import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createDicomwebClient, type DicomwebSettings } from "../imaging/dicomweb/client";
import { writeSeries, type SeriesFile } from "../imaging/synthetic-series";
import type { ImageTask } from "./events";
import { IMAGE_SIZE, renderCtHead, renderMrProstate } from "./images";
import type { SiteProfile } from "./profiles";

/**
 * The synthetic scans as DICOM series: five 64x64 slices around the lesion's slice, CT in
 * Hounsfield units (air -1000, CSF about 5, brain about 35, an infarct 10-70 HU darker, skull above
 * 600), MR in arbitrary scanner units; written as series folders under the data folder or stored
 * into a PACS over STOW-RS. Patient and study headers are synthetic, but they are exactly the kind
 * of values that must never leave a site.
 */
const SLICES = [-2, -1, 0, 1, 2];

/** Normalised intensity (as the PNG renderers draw it) to HU: piecewise linear through tissue anchors. */
const HU_KNOTS: [number, number][] = [
  [0, -1000],
  [0.15, -100],
  [0.2, -40],
  [0.6, 80],
  [0.8, 600],
  [1, 1500],
];

export function intensityToHu(v: number): number {
  for (let i = 1; i < HU_KNOTS.length; i++) {
    const [x1, y1] = HU_KNOTS[i]!;
    const [x0, y0] = HU_KNOTS[i - 1]!;
    if (v <= x1) return y0 + ((Math.max(v, x0) - x0) * (y1 - y0)) / (x1 - x0);
  }
  return HU_KNOTS.at(-1)![1];
}

export function renderSeries(task: ImageTask, profile: SiteProfile): SeriesFile[] {
  const isCt = task.modality === "CT";
  const slices = SLICES.map((slice) => {
    const pixels = isCt
      ? renderCtHead(task.seed, profile.ct, task.hasLesion, slice)
      : renderMrProstate(task.seed, profile.mr, task.hasLesion, slice);
    return Float32Array.from(pixels, (p) => (isCt ? Math.round(intensityToHu(p / 255)) : p * 8 + 64));
  });
  return writeSeries({
    modality: task.modality,
    seed: `${profile.code}:${task.imageOccurrenceId}`,
    uids: { study: task.studyUid, series: task.seriesUid },
    patient: {
      id: `${profile.code}-MRN-${String(task.personId).padStart(8, "0")}`,
      name: `SYNTHETIC^PERSON${task.personId}`,
      birthDate: "",
      sex: "",
    },
    studyDate: task.date.replaceAll("-", ""),
    rows: IMAGE_SIZE,
    columns: IMAGE_SIZE,
    slices,
    spacingMm: isCt ? 5 : 3,
  });
}

/** Writes each series as `<dataDir>/<localPath>/<instance>.dcm`; returns counts per modality. */
export function writeDicomSeries(
  dataDir: string,
  tasks: readonly ImageTask[],
  profile: SiteProfile,
  onImage?: (written: number) => void,
): Record<string, number> {
  const perModality: Record<string, number> = {};
  tasks.forEach((task, index) => {
    if (!task.localPath) throw new Error("a DICOM series folder needs a local path");
    const folder = path.join(dataDir, task.localPath);
    mkdirSync(folder, { recursive: true });
    for (const file of renderSeries(task, profile))
      writeFileSync(path.join(folder, `${String(file.instanceNumber).padStart(4, "0")}.dcm`), file.bytes);
    perModality[task.modality] = (perModality[task.modality] ?? 0) + 1;
    onImage?.(index + 1);
  });
  return perModality;
}

/** Stores every series into a PACS over STOW-RS, a few series per request. */
export async function storeSeriesInPacs(
  pacs: Pick<DicomwebSettings, "baseUrl" | "headers">,
  tasks: readonly ImageTask[],
  profile: SiteProfile,
  onImage?: (stored: number) => void,
): Promise<Record<string, number>> {
  const client = createDicomwebClient({
    ...pacs,
    tls: {},
    concurrency: 4,
    retries: 3,
    timeoutMs: 60_000,
    maxSeriesBytes: 64 * 1024 * 1024,
  });
  const perModality: Record<string, number> = {};
  const signal = new AbortController().signal;
  try {
    const batch = 8;
    for (let start = 0; start < tasks.length; start += batch) {
      const group = tasks.slice(start, start + batch);
      await client.storeInstances(
        group.flatMap((task) => renderSeries(task, profile).map((f) => f.bytes)),
        signal,
      );
      for (const task of group) perModality[task.modality] = (perModality[task.modality] ?? 0) + 1;
      onImage?.(start + group.length);
    }
  } finally {
    client.close();
  }
  return perModality;
}
