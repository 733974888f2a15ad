/**
 * Just enough of the WebAssembly binary format to assemble the aggregation kernels in code, so no
 * binary is checked in or fetched: LEB128 integers, sections, and the instructions the kernels use.
 * Each kernel's file gives its text form next to the instruction list that encodes it.
 */

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Memory arguments are log2(alignment) then the static offset; v128 accesses declare 16-byte alignment. */
const v128Memarg = (offset: number) => [4, ...uleb(offset)];

export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (local: number) => [0x20, local],
  set: (local: number) => [0x21, local],
  tee: (local: number) => [0x22, local],
  i32Const: (n: number) => [0x41, ...sleb(n)],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Shl: [0x74],
  // SIMD: prefix 0xfd, then the opcode as unsigned LEB128.
  v128Load: (offset: number) => [0xfd, 0x00, ...v128Memarg(offset)],
  v128Store: (offset: number) => [0xfd, 0x0b, ...v128Memarg(offset)],
  /** i8x16.shuffle of a vector with itself that moves its high 8 bytes (float32 lanes 2, 3) to the low half. */
  highHalfToLow: [0xfd, 0x0d, 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
  f64x2Splat: [0xfd, 0x14],
  f64x2PromoteLowF32x4: [0xfd, 0x5f],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  f64x2Mul: [0xfd, ...uleb(0xf2)],
};

export type KernelFunction = {
  /** Exported under this name. */
  name: string;
  params: number[];
  /** Local declarations after the parameters, as [count, type] groups. */
  locals: [number, number][];
  code: number[];
};

/**
 * A module of functions with no results over one memory: its own of `pages` 64 KiB pages exported
 * as "memory", or, with `importMemory`, one the caller passes as `env.memory` at instantiation.
 */
export function assembleModule(
  functions: KernelFunction[],
  memory: { pages: number; importMemory?: boolean },
): Uint8Array<ArrayBuffer> {
  const limits = [0x00, ...uleb(memory.pages)]; // a minimum, no maximum
  const bodies = functions.map(({ locals, code }) => {
    const body = [...vector(locals.map(([count, type]) => [...uleb(count), type])), ...code, ...op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, vector(functions.map(({ params }) => [0x60, ...vector(params.map((p) => [p])), ...vector([])]))),
    ...(memory.importMemory ? section(2, vector([[...name("env"), ...name("memory"), 0x02, ...limits]])) : []),
    ...section(3, vector(functions.map((_, i) => uleb(i)))),
    ...(memory.importMemory ? [] : section(5, vector([limits]))),
    ...section(
      7,
      vector([
        ...(memory.importMemory ? [] : [[...name("memory"), 0x02, 0]]),
        ...functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
      ]),
    ),
    ...section(10, vector(bodies)),
  ]);
}
