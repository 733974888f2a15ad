/**
 * The sum of squares behind update validation, as a WebAssembly SIMD kernel: four float32 values
 * per load, widened to float64 pairs, squared and added to four partial sums. V8 runs a JavaScript
 * loop over a Float32Array one value at a time; this reads them at close to memory speed.
 *
 * The module is assembled here from the instruction list below (no binary is checked in or
 * fetched). Its text form:
 *
 *   (module
 *     (memory (export "memory") 2)             ;; bytes 0..31: partial sums; from byte 64: a block of values
 *     (func (export "sumsq") (param $n i32)    ;; $n values at byte 64, $n a multiple of 4
 *       (local $p i32) (local $end i32) (local $a v128) (local $b v128) (local $v v128) (local $w v128)
 *       (local.set $a (v128.load offset=0 (i32.const 0)))      ;; partial sums of values 0, 1 mod 4
 *       (local.set $b (v128.load offset=16 (i32.const 0)))     ;; partial sums of values 2, 3 mod 4
 *       (local.set $p (i32.const 64))
 *       (local.set $end (i32.add (i32.shl (local.get $n) (i32.const 2)) (i32.const 64)))
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $v (v128.load (local.get $p)))
 *         (local.set $a (f64x2.add (local.get $a)
 *           (f64x2.mul (local.tee $w (f64x2.promote_low_f32x4 (local.get $v))) (local.get $w))))
 *         (local.set $b (f64x2.add (local.get $b)
 *           (f64x2.mul (local.tee $w (f64x2.promote_low_f32x4
 *             (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
 *             (local.get $w))))
 *         (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *         (br 0)))
 *       (v128.store offset=0 (i32.const 0) (local.get $a))
 *       (v128.store offset=16 (i32.const 0) (local.get $b))))
 *
 * Lane k of the four partial sums adds the squares of values k, k+4, k+8, ... in order, each a
 * float64 product rounded once and added with one rounding (WebAssembly has no fused multiply-add
 * here), so the result is the same bit for bit as the scalar loop with four partial sums.
 *
 * Precision: the square of a float32 is exact in float64 (48 of 53 mantissa bits), so the only
 * rounding is in the additions. The single running sum this replaces, n non-negative terms added
 * in order, is within (n-1)u of the exact sum (u = 2^-53); four partial sums of n/4 terms then
 * three more additions are within (n/4+2)u, a tighter bound. For 10 M values that is ~3e-10
 * relative, six orders of magnitude below the four significant digits a refusal shows. A NaN or
 * infinite value makes the sum non-finite, exactly as before. The test checks these against an
 * exact (BigInt) sum.
 */
import { assembleModule, I32, op, V128 } from "./wasm-assembler";

const SUMS_BYTES = 64;
/** Values per call: 64 KiB of float32, a block that stays in the L2 cache while the kernel reads it. */
export const BLOCK_VALUES = 16_384;

// Locals: 0 $n, 1 $p, 2 $end, 3 $a, 4 $b, 5 $v, 6 $w.
const [N, P, END, A, B, V, W] = [0, 1, 2, 3, 4, 5, 6];

const squareInto = (acc: number, widen: number[]) => [
  ...op.get(acc),
  ...widen,
  ...op.f64x2PromoteLowF32x4,
  ...op.tee(W),
  ...op.get(W),
  ...op.f64x2Mul,
  ...op.f64x2Add,
  ...op.set(acc),
];

const code = [
  ...[...op.i32Const(0), ...op.v128Load(0), ...op.set(A)],
  ...[...op.i32Const(0), ...op.v128Load(16), ...op.set(B)],
  ...[...op.i32Const(SUMS_BYTES), ...op.set(P)],
  ...[...op.get(N), ...op.i32Const(2), ...op.i32Shl, ...op.i32Const(SUMS_BYTES), ...op.i32Add, ...op.set(END)],
  ...op.block,
  ...op.loop,
  ...[...op.get(P), ...op.get(END), ...op.i32GeU, ...op.brIf(1)],
  ...[...op.get(P), ...op.v128Load(0), ...op.set(V)],
  ...squareInto(A, op.get(V)),
  ...squareInto(B, [...op.get(V), ...op.get(V), ...op.highHalfToLow]),
  ...[...op.get(P), ...op.i32Const(16), ...op.i32Add, ...op.set(P)],
  ...op.br(0),
  ...op.end,
  ...op.end,
  ...[...op.i32Const(0), ...op.get(A), ...op.v128Store(0)],
  ...[...op.i32Const(0), ...op.get(B), ...op.v128Store(16)],
];

// 2 pages (128 KiB): the partial sums and one block.
const MODULE = assembleModule(
  [
    {
      name: "sumsq",
      params: [I32],
      locals: [
        [2, I32],
        [4, V128],
      ],
      code,
    },
  ],
  { pages: 2 },
);

type Kernel = { sums: Float64Array; block: Float32Array; sumsq: (n: number) => void };
let kernel: Kernel | null = null;

function instantiate(): Kernel {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(MODULE));
  const memory = instance.exports.memory as WebAssembly.Memory;
  return {
    sums: new Float64Array(memory.buffer, 0, 4),
    block: new Float32Array(memory.buffer, SUMS_BYTES, BLOCK_VALUES),
    sumsq: instance.exports.sumsq as (n: number) => void,
  };
}

/**
 * The float64 sum of squares of `data` in four interleaved partial sums (value i into sum i mod 4),
 * combined as (s0 + s1) + (s2 + s3). Synchronous and single-threaded, so one kernel serves every call.
 */
export function sumOfSquares(data: Float32Array): number {
  const k = (kernel ??= instantiate());
  k.sums.fill(0);
  const whole = data.length - (data.length % 4);
  for (let at = 0; at < whole; at += BLOCK_VALUES) {
    const n = Math.min(BLOCK_VALUES, whole - at);
    k.block.set(data.subarray(at, at + n));
    k.sumsq(n);
  }
  let s0 = k.sums[0]!;
  for (let i = whole; i < data.length; i++) s0 += data[i]! * data[i]!;
  return s0 + k.sums[1]! + (k.sums[2]! + k.sums[3]!);
}
