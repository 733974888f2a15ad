import { inflateSync } from "node:zlib";

/**
 * A small PNG decoder for the site's scans: 8-bit grayscale, not interlaced, any of the five
 * row filters (PNG spec section 9). Enough for MI-CDM exports without an image library; anything
 * else is refused with a message that names the format, never the file's content.
 */
export type GrayImage = { width: number; height: number; pixels: Uint8Array };

export class PngFormatError extends Error {}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const MAX_SIDE = 8192;

export function decodeGrayPng(file: Uint8Array): GrayImage {
  if (file.length < 8 || SIGNATURE.some((byte, i) => file[i] !== byte)) throw new PngFormatError("not a PNG file");
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let offset = 8;
  let header: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  while (offset + 8 <= file.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...file.subarray(offset + 4, offset + 8));
    const end = offset + 8 + length;
    if (end + 4 > file.length) throw new PngFormatError(`PNG chunk ${type} is truncated`);
    const data = file.subarray(offset + 8, end);
    if (type === "IHDR") header = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    offset = end + 4;
  }
  if (!header || header.length < 13) throw new PngFormatError("PNG has no IHDR chunk");
  const head = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const width = head.getUint32(0);
  const height = head.getUint32(4);
  const [bitDepth, colourType, , , interlace] = header.subarray(8, 13);
  if (bitDepth !== 8 || colourType !== 0)
    throw new PngFormatError(
      `PNG is bit depth ${bitDepth} colour type ${colourType}; only 8-bit grayscale (colour type 0) is supported`,
    );
  if (interlace !== 0) throw new PngFormatError("interlaced PNGs are not supported");
  if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
    throw new PngFormatError(`PNG size ${width}x${height} is outside 1..${MAX_SIDE}`);
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== (width + 1) * height) throw new PngFormatError("PNG image data does not match its size");
  return { width, height, pixels: unfilter(raw, width, height) };
}

/** Reverses the per-row filters; with one byte per pixel the "left" neighbour is the previous byte. */
function unfilter(raw: Uint8Array, width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    const src = y * (width + 1) + 1;
    const row = y * width;
    const up = row - width;
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? pixels[row + x - 1]! : 0;
      const b = y > 0 ? pixels[up + x]! : 0;
      const c = x > 0 && y > 0 ? pixels[up + x - 1]! : 0;
      const value = raw[src + x]!;
      switch (filter) {
        case 0:
          pixels[row + x] = value;
          break;
        case 1:
          pixels[row + x] = value + a;
          break;
        case 2:
          pixels[row + x] = value + b;
          break;
        case 3:
          pixels[row + x] = value + ((a + b) >> 1);
          break;
        case 4:
          pixels[row + x] = value + paeth(a, b, c);
          break;
        default:
          throw new PngFormatError(`PNG row filter ${String(filter)} is not one of the five standard filters`);
      }
    }
  }
  return pixels;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
