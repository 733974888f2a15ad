import { crc32, deflateSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { encodeGrayPng } from "../site-data/png";
import { decodeGrayPng, PngFormatError } from "./png";

function pixels(width: number, height: number): Uint8Array {
  return Uint8Array.from({ length: width * height }, (_, i) => (i * 37 + Math.floor(i / width) * 11) % 256);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** Encodes with row `y` using filter `filters[y % 5]`, applying the PNG spec's forward filters by hand. */
function encodeFiltered(width: number, height: number, image: Uint8Array, filters: number[]): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  const at = (x: number, y: number) => (x < 0 || y < 0 ? 0 : image[y * width + x]!);
  for (let y = 0; y < height; y++) {
    const filter = filters[y % filters.length]!;
    raw[y * (width + 1)] = filter;
    for (let x = 0; x < width; x++) {
      const [a, b, c, value] = [at(x - 1, y), at(x, y - 1), at(x - 1, y - 1), at(x, y)];
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      raw[y * (width + 1) + 1 + x] = (value - predictor + 256) % 256;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("PNG decoder", () => {
  test("round-trips the site generator's encoder", () => {
    const image = pixels(64, 48);
    expect(decodeGrayPng(encodeGrayPng(64, 48, image))).toEqual({ width: 64, height: 48, pixels: image });
  });

  test("reverses all five row filters (None, Sub, Up, Average, Paeth)", () => {
    const image = pixels(17, 10);
    expect(decodeGrayPng(encodeFiltered(17, 10, image, [0, 1, 2, 3, 4])).pixels).toEqual(image);
    expect(decodeGrayPng(encodeFiltered(17, 10, image, [4, 3, 2, 1])).pixels).toEqual(image);
  });

  test("refuses what it does not support, with a message naming the format", () => {
    const rgb = encodeGrayPng(8, 8, pixels(8, 8));
    rgb[8 + 8 + 9] = 2; // IHDR colour type: RGB
    expect(() => decodeGrayPng(rgb)).toThrow(
      new PngFormatError("PNG is bit depth 8 colour type 2; only 8-bit grayscale (colour type 0) is supported"),
    );
    expect(() => decodeGrayPng(Buffer.from("GIF89a"))).toThrow("not a PNG file");
  });
});
