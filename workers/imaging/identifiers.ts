/**
 * DICOM header values that identify a patient or a study (names, IDs, accession numbers, dates,
 * UIDs), remembered as the worker reads them so that the release gate can refuse any outgoing
 * value that carries one (`workers/release/gate.ts`). Nothing here is logged or sent.
 */
const MAX_REMEMBERED = 200_000;
/** Shorter values ("M", "1") are too common to tell a leak from a coincidence. */
const MIN_LENGTH = 4;

/** Tags whose values never leave the site: patient, study and instance identity, and their dates. */
export const IDENTIFYING_TAGS = [
  "x00100010", // Patient's Name
  "x00100020", // Patient ID
  "x00101000", // Other Patient IDs
  "x00100030", // Patient's Birth Date
  "x00080050", // Accession Number
  "x00080020", // Study Date
  "x00080021", // Series Date
  "x00080080", // Institution Name
  "x00080090", // Referring Physician's Name
  "x00200010", // Study ID
  "x0020000d", // Study Instance UID
  "x0020000e", // Series Instance UID
  "x00080018", // SOP Instance UID
  "x00200052", // Frame of Reference UID
] as const;

const remembered = new Set<string>();

export function rememberIdentifiers(values: readonly (string | undefined)[]): void {
  for (const raw of values) {
    const value = raw?.replace(/\0/g, "").trim();
    if (!value || value.length < MIN_LENGTH || remembered.has(value)) continue;
    // A Set iterates in insertion order: the oldest value goes first.
    if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.values().next().value!);
    remembered.add(value);
  }
}

/** A DICOM UID: a dotted number of at least five components, as study, series and instance UIDs are. */
const UID = /(?:^|[^0-9.])[0-2](?:\.[0-9]+){4,}/;

/** What a value would leak, or null: any string in it that is a DICOM UID or a header value the worker read. */
export function findDicomIdentifier(value: unknown): string | null {
  if (typeof value === "string") {
    if (UID.test(value)) return "a DICOM UID";
    if (remembered.has(value.trim())) return "a DICOM header value";
    for (const token of value.split(/[\s,;:()"'=/\\[\]{}]+/))
      if (token.length >= MIN_LENGTH && remembered.has(token)) return "a DICOM header value";
    return null;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findDicomIdentifier(item);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const found = findDicomIdentifier(key) ?? findDicomIdentifier(item);
      if (found) return found;
    }
  }
  return null;
}
