import { createRequire } from "node:module";
import type { PixelEncoding } from "./transfer-syntax";
import { decodeRleFrame } from "./rle";

/**
 * Compressed frames to native little-endian samples. JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG) are
 * the WebAssembly builds Cornerstone publishes on npm, loaded once per process on first use; RLE is
 * decoded here (workers/imaging/rle.ts).
 */
type WasmDecoder = {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  delete(): void;
};
type CodecModule = Record<string, new () => WasmDecoder>;

const require = createRequire(import.meta.url);
const modules = new Map<string, Promise<CodecModule>>();

function loadCodec(packagePath: string): Promise<CodecModule> {
  let loading = modules.get(packagePath);
  if (!loading) {
    const factory = require(packagePath) as (options: object) => Promise<CodecModule>;
    // OpenJPEG prints progress lines to stdout; the worker's log is JSON lines, so they are dropped.
    loading = factory({ print: () => undefined, printErr: () => undefined });
    modules.set(packagePath, loading);
  }
  return loading;
}

const WASM: Record<"jpeg-ls" | "jpeg2000", { path: string; decoder: string }> = {
  "jpeg-ls": { path: "@cornerstonejs/codec-charls/decodewasmjs", decoder: "JpegLSDecoder" },
  jpeg2000: { path: "@cornerstonejs/codec-openjpeg/decodewasmjs", decoder: "J2KDecoder" },
};

export type FrameLayout = { rows: number; columns: number; bytesPerSample: number; samples: number };

export async function decodeFrame(
  encoding: PixelEncoding,
  frame: Uint8Array,
  layout: FrameLayout,
): Promise<Uint8Array> {
  const pixels = layout.rows * layout.columns;
  if (encoding === "native") return frame;
  if (encoding === "rle") return decodeRleFrame(frame, pixels, layout.bytesPerSample, layout.samples);
  const { path, decoder: name } = WASM[encoding];
  const codec = await loadCodec(path);
  const decoder = new codec[name]!();
  try {
    decoder.getEncodedBuffer(frame.length).set(frame);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== layout.columns || info.height !== layout.rows || info.componentCount !== layout.samples)
      throw new Error(
        `the ${encoding} stream is ${info.width}x${info.height}x${info.componentCount}, the header says ${layout.columns}x${layout.rows}x${layout.samples}`,
      );
    // The decoded buffer is a view into the codec's WebAssembly memory: copy it before the next decode.
    return decoder.getDecodedBuffer().slice();
  } finally {
    decoder.delete();
  }
}
