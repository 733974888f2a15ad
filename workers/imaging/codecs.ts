import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
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

/**
 * The codec's script from its npm package, or, in the bundled worker (workers/build), from the
 * `codecs` folder beside `bin`, where the build copies the scripts and their .wasm files.
 */
function codecScript(codec: Codec): string {
  try {
    return codec.resolve();
  } catch {
    // .cjs: the bundle's package.json makes .js files ES modules, and the codecs are CommonJS.
    return path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "codecs", `${codec.file}.cjs`);
  }
}

function loadCodec(codec: Codec): Promise<CodecModule> {
  let loading = modules.get(codec.file);
  if (!loading) {
    const factory = require(codecScript(codec)) as (options: object) => Promise<CodecModule>;
    // OpenJPEG prints progress lines to stdout; the worker's log is JSON lines, so they are dropped.
    loading = factory({ print: () => undefined, printErr: () => undefined });
    modules.set(codec.file, loading);
  }
  return loading;
}

type Codec = { resolve: () => string; file: string; decoder: string };

/** The decoders' scripts (file: their base name); each loads the .wasm file of that name beside it. */
export const CODECS = {
  "jpeg-ls": {
    resolve: () => require.resolve("@cornerstonejs/codec-charls/decodewasmjs"),
    file: "charlswasm_decode",
    decoder: "JpegLSDecoder",
  },
  jpeg2000: {
    resolve: () => require.resolve("@cornerstonejs/codec-openjpeg/decodewasmjs"),
    file: "openjpegwasm_decode",
    decoder: "J2KDecoder",
  },
} as const satisfies Record<string, Codec>;

export type FrameLayout = { rows: number; columns: number; bytesPerSample: number; samples: number };

export async function decodeFrame(
  encoding: PixelEncoding,
  frame: Uint8Array,
  layout: FrameLayout,
): Promise<Uint8Array> {
  const pixels = layout.rows * layout.columns;
  if (encoding === "native") return frame;
  if (encoding === "rle") return decodeRleFrame(frame, pixels, layout.bytesPerSample, layout.samples);
  const codec = CODECS[encoding];
  const decoder = new (await loadCodec(codec))[codec.decoder]!();
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
