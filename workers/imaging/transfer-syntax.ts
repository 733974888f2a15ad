/**
 * The transfer syntaxes the site reads, by UID, with the names Trust IT will recognise. Anything
 * else is refused with its name, so a PACS export in an unsupported encoding is named, not guessed.
 */
export const TRANSFER_SYNTAX = {
  implicitLittle: "1.2.840.10008.1.2",
  explicitLittle: "1.2.840.10008.1.2.1",
  deflatedExplicitLittle: "1.2.840.10008.1.2.1.99",
  explicitBig: "1.2.840.10008.1.2.2",
  jpegLsLossless: "1.2.840.10008.1.2.4.80",
  jpegLsNearLossless: "1.2.840.10008.1.2.4.81",
  jpeg2000Lossless: "1.2.840.10008.1.2.4.90",
  jpeg2000: "1.2.840.10008.1.2.4.91",
  rle: "1.2.840.10008.1.2.5",
} as const;

const NAMES: Record<string, string> = {
  "1.2.840.10008.1.2": "Implicit VR Little Endian",
  "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
  "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
  "1.2.840.10008.1.2.2": "Explicit VR Big Endian (retired)",
  "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
  "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
  "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
  "1.2.840.10008.1.2.4.70": "JPEG Lossless, Non-Hierarchical, First-Order Prediction",
  "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
  "1.2.840.10008.1.2.4.81": "JPEG-LS Lossy (Near-Lossless)",
  "1.2.840.10008.1.2.4.90": "JPEG 2000 Lossless Only",
  "1.2.840.10008.1.2.4.91": "JPEG 2000",
  "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile / Main Level",
  "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 Lossless",
  "1.2.840.10008.1.2.4.202": "High-Throughput JPEG 2000 with RPCL Options Lossless",
  "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
  "1.2.840.10008.1.2.5": "RLE Lossless",
};

export function transferSyntaxName(uid: string): string {
  return NAMES[uid] ? `${NAMES[uid]} (${uid})` : `transfer syntax ${uid}`;
}

export type PixelEncoding = "native" | "rle" | "jpeg-ls" | "jpeg2000";

const ENCODINGS: Record<string, PixelEncoding> = {
  [TRANSFER_SYNTAX.implicitLittle]: "native",
  [TRANSFER_SYNTAX.explicitLittle]: "native",
  [TRANSFER_SYNTAX.deflatedExplicitLittle]: "native",
  [TRANSFER_SYNTAX.rle]: "rle",
  [TRANSFER_SYNTAX.jpegLsLossless]: "jpeg-ls",
  [TRANSFER_SYNTAX.jpegLsNearLossless]: "jpeg-ls",
  [TRANSFER_SYNTAX.jpeg2000Lossless]: "jpeg2000",
  [TRANSFER_SYNTAX.jpeg2000]: "jpeg2000",
};

/** How the pixel data of a transfer syntax is decoded, or undefined when this worker cannot read it. */
export function pixelEncodingOf(uid: string): PixelEncoding | undefined {
  return ENCODINGS[uid];
}
