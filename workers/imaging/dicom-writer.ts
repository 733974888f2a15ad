import { TRANSFER_SYNTAX } from "./transfer-syntax";

/**
 * A small DICOM Part 10 writer (Explicit VR Little Endian, defined lengths) for the synthetic
 * series the demo generator stores and the tests read back. Elements are written in tag order with
 * the File Meta group and its group length, as PS3.10 requires.
 */
export type Vr =
  "AE" | "CS" | "DA" | "DS" | "IS" | "LO" | "PN" | "SH" | "TM" | "UI" | "US" | "SS" | "UL" | "FD" | "OB" | "OW" | "SQ";
export type DicomElement =
  | { tag: number; vr: Exclude<Vr, "US" | "SS" | "UL" | "FD" | "OB" | "OW" | "SQ">; value: string }
  | { tag: number; vr: "US" | "SS" | "UL" | "FD"; value: number | number[] }
  | { tag: number; vr: "OB" | "OW"; value: Uint8Array }
  | { tag: number; vr: "SQ"; value: DicomElement[][] };

const LONG_LENGTH: ReadonlySet<Vr> = new Set(["OB", "OW", "SQ"]);
/** This writer's Implementation Class UID: a UUID-derived UID (PS3.5 B.2), which needs no registered root. */
const IMPLEMENTATION_UID = uuidUid("6f1c2b7e-4d0a-4f6e-9b8e-3c5a1d2e7f90");

/** A UID under 2.25 from a UUID (or any 128-bit hex), as PS3.5 B.2 allows. */
export function uuidUid(uuid: string): string {
  return `2.25.${BigInt(`0x${uuid.replaceAll("-", "").slice(0, 32)}`).toString()}`;
}

export function writeDicomFile(
  sop: { classUid: string; instanceUid: string },
  elements: readonly DicomElement[],
  transferSyntax: string = TRANSFER_SYNTAX.explicitLittle,
): Uint8Array {
  const meta = encodeElements([
    { tag: 0x00020001, vr: "OB", value: Uint8Array.of(0, 1) },
    { tag: 0x00020002, vr: "UI", value: sop.classUid },
    { tag: 0x00020003, vr: "UI", value: sop.instanceUid },
    { tag: 0x00020010, vr: "UI", value: transferSyntax },
    { tag: 0x00020012, vr: "UI", value: IMPLEMENTATION_UID },
  ]);
  const groupLength = encodeElements([{ tag: 0x00020000, vr: "UL", value: meta.length }]);
  const body = encodeElements([
    { tag: 0x00080016, vr: "UI", value: sop.classUid },
    { tag: 0x00080018, vr: "UI", value: sop.instanceUid },
    ...elements,
  ]);
  const out = new Uint8Array(132 + groupLength.length + meta.length + body.length);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(groupLength, 132);
  out.set(meta, 132 + groupLength.length);
  out.set(body, 132 + groupLength.length + meta.length);
  return out;
}

function encodeElements(elements: readonly DicomElement[]): Uint8Array {
  const parts = [...elements].sort((a, b) => a.tag - b.tag).map(encodeElement);
  return concat(parts);
}

function encodeElement(element: DicomElement): Uint8Array {
  const value = encodeValue(element);
  const isLong = LONG_LENGTH.has(element.vr);
  const header = new Uint8Array(isLong ? 12 : 8);
  const view = new DataView(header.buffer);
  view.setUint16(0, element.tag >>> 16, true);
  view.setUint16(2, element.tag & 0xffff, true);
  header[4] = element.vr.charCodeAt(0);
  header[5] = element.vr.charCodeAt(1);
  if (isLong) view.setUint32(8, value.length, true);
  else {
    if (value.length > 0xffff) throw new Error(`value of ${element.tag.toString(16)} is too long for ${element.vr}`);
    view.setUint16(6, value.length, true);
  }
  return concat([header, value]);
}

function encodeValue(element: DicomElement): Uint8Array {
  switch (element.vr) {
    case "US":
    case "SS":
    case "UL":
    case "FD": {
      const values = Array.isArray(element.value) ? element.value : [element.value];
      const size = element.vr === "FD" ? 8 : element.vr === "UL" ? 4 : 2;
      const out = new Uint8Array(values.length * size);
      const view = new DataView(out.buffer);
      values.forEach((v, i) => {
        if (element.vr === "US") view.setUint16(i * 2, v, true);
        else if (element.vr === "SS") view.setInt16(i * 2, v, true);
        else if (element.vr === "UL") view.setUint32(i * 4, v, true);
        else view.setFloat64(i * 8, v, true);
      });
      return out;
    }
    case "OB":
    case "OW":
      return element.value.length % 2 === 0 ? element.value : concat([element.value, Uint8Array.of(0)]);
    case "SQ":
      return concat(
        element.value.map((item) => {
          const content = encodeElements(item);
          const header = new Uint8Array(8);
          const view = new DataView(header.buffer);
          view.setUint16(0, 0xfffe, true);
          view.setUint16(2, 0xe000, true);
          view.setUint32(4, content.length, true);
          return concat([header, content]);
        }),
      );
    default: {
      const bytes = new TextEncoder().encode(element.value);
      if (bytes.length % 2 === 0) return bytes;
      // UIDs pad with NUL, every other text VR with a space.
      return concat([bytes, Uint8Array.of(element.vr === "UI" ? 0 : 0x20)]);
    }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Decimal strings as DICOM writes them: at most 16 characters each, backslash-separated. */
export function decimals(values: readonly number[]): string {
  return values.map((v) => Number(v.toPrecision(10)).toString().slice(0, 16)).join("\\");
}
