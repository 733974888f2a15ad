import { createHash } from "node:crypto";
import { decimals, uuidUid, writeDicomFile, type DicomElement } from "./dicom-writer";

/**
 * A series as DICOM files, one per slice, with the headers a PACS and a viewer expect: patient,
 * study, series and frame of reference, geometry (position, orientation, spacing), and pixels as
 * 16-bit stored values with a rescale to modality units (CT: 12 bits stored, intercept -1024, so
 * stored 0..4095 is -1024..3071 HU; MR: 16-bit unsigned, no rescale).
 */
export type SeriesSpec = {
  modality: "CT" | "MR";
  /** Seed of every UID of the series, so a regenerated site gets the same UIDs. */
  seed: string;
  /** The study and series UIDs when they are given (an image_occurrence row's); else derived from the seed. */
  uids?: { study: string; series: string };
  /** Birth date and sex may be empty (type 2 attributes). */
  patient: { id: string; name: string; birthDate: string; sex: "M" | "F" | "O" | "" };
  studyDate: string;
  rows: number;
  columns: number;
  /** Slices in modality units, first slice at the lowest position along the normal. */
  slices: readonly Float32Array[];
  spacingMm?: number;
  sliceThicknessMm?: number;
  /** Row and column direction cosines; axial by default. */
  orientation?: [number, number, number, number, number, number];
};

export type SeriesFile = { instanceNumber: number; bytes: Uint8Array };

const SOP_CLASS = { CT: "1.2.840.10008.5.1.4.1.1.2", MR: "1.2.840.10008.5.1.4.1.1.4" } as const;
const CT_INTERCEPT = -1024;

/** UIDs of a seeded series: study, series, frame of reference and the SOP instance of slice i. */
export function seriesUids(seed: string): {
  study: string;
  series: string;
  frame: string;
  instance: (i: number) => string;
} {
  const uid = (what: string) => uuidUid(createHash("sha256").update(`${seed}:${what}`).digest("hex"));
  return { study: uid("study"), series: uid("series"), frame: uid("frame"), instance: (i) => uid(`instance:${i}`) };
}

export function writeSeries(spec: SeriesSpec): SeriesFile[] {
  const uids = { ...seriesUids(spec.seed), ...spec.uids };
  const orientation = spec.orientation ?? [1, 0, 0, 0, 1, 0];
  const [rx, ry, rz, cx, cy, cz] = orientation;
  const normal = [ry * cz - rz * cy, rz * cx - rx * cz, rx * cy - ry * cx];
  const spacing = spec.spacingMm ?? 5;
  const isCt = spec.modality === "CT";
  return spec.slices.map((slice, i) => {
    const position = [-0.5 * spec.columns, -0.5 * spec.rows, 0].map((v, axis) => v + i * spacing * normal[axis]!);
    const stored = new Uint8Array(slice.length * 2);
    const view = new DataView(stored.buffer);
    slice.forEach((value, p) => {
      const raw = Math.round(isCt ? value - CT_INTERCEPT : value);
      view.setUint16(2 * p, Math.min(isCt ? 4095 : 65535, Math.max(0, raw)), true);
    });
    const elements: DicomElement[] = [
      { tag: 0x00080005, vr: "CS", value: "ISO_IR 100" },
      { tag: 0x00080008, vr: "CS", value: "ORIGINAL\\PRIMARY\\AXIAL" },
      { tag: 0x00080020, vr: "DA", value: spec.studyDate },
      { tag: 0x00080030, vr: "TM", value: "120000" },
      { tag: 0x00080050, vr: "SH", value: `ACC${spec.patient.id}`.slice(0, 16) },
      { tag: 0x00080060, vr: "CS", value: spec.modality },
      { tag: 0x00080070, vr: "LO", value: "FLIP synthetic scanner" },
      { tag: 0x00080090, vr: "PN", value: "" },
      { tag: 0x0008103e, vr: "LO", value: isCt ? "CT HEAD NON-CONTRAST" : "MR PROSTATE T2" },
      { tag: 0x00100010, vr: "PN", value: spec.patient.name },
      { tag: 0x00100020, vr: "LO", value: spec.patient.id },
      { tag: 0x00100030, vr: "DA", value: spec.patient.birthDate },
      { tag: 0x00100040, vr: "CS", value: spec.patient.sex },
      { tag: 0x00180050, vr: "DS", value: decimals([spec.sliceThicknessMm ?? spacing]) },
      { tag: 0x00180088, vr: "DS", value: decimals([spacing]) },
      { tag: 0x0020000d, vr: "UI", value: uids.study },
      { tag: 0x0020000e, vr: "UI", value: uids.series },
      { tag: 0x00200010, vr: "SH", value: "1" },
      { tag: 0x00200011, vr: "IS", value: "1" },
      { tag: 0x00200013, vr: "IS", value: String(i + 1) },
      { tag: 0x00200032, vr: "DS", value: decimals(position) },
      { tag: 0x00200037, vr: "DS", value: decimals(orientation) },
      { tag: 0x00200052, vr: "UI", value: uids.frame },
      { tag: 0x00201041, vr: "DS", value: decimals([i * spacing]) },
      { tag: 0x00280002, vr: "US", value: 1 },
      { tag: 0x00280004, vr: "CS", value: "MONOCHROME2" },
      { tag: 0x00280010, vr: "US", value: spec.rows },
      { tag: 0x00280011, vr: "US", value: spec.columns },
      { tag: 0x00280030, vr: "DS", value: "1\\1" },
      { tag: 0x00280100, vr: "US", value: 16 },
      { tag: 0x00280101, vr: "US", value: isCt ? 12 : 16 },
      { tag: 0x00280102, vr: "US", value: isCt ? 11 : 15 },
      { tag: 0x00280103, vr: "US", value: 0 },
      ...(isCt
        ? ([
            { tag: 0x00281050, vr: "DS", value: "40" },
            { tag: 0x00281051, vr: "DS", value: "80" },
            { tag: 0x00281052, vr: "DS", value: String(CT_INTERCEPT) },
            { tag: 0x00281053, vr: "DS", value: "1" },
            { tag: 0x00281054, vr: "LO", value: "HU" },
          ] satisfies DicomElement[])
        : []),
      { tag: 0x7fe00010, vr: "OW", value: stored },
    ];
    return {
      instanceNumber: i + 1,
      bytes: writeDicomFile({ classUid: SOP_CLASS[spec.modality], instanceUid: uids.instance(i) }, elements),
    };
  });
}
