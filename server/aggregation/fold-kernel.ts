/**
 * The running sum's fold as WebAssembly SIMD: float64 accumulators that live in WebAssembly memory,
 * and kernels that add one, two or four float32 updates times their weights to them, two values
 * per instruction. V8 runs the JavaScript loop one value at a time; this runs at memory speed.
 *
 * The updates are copied into the module's memory a block at a time (32 KiB each, in the L2 cache
 * while the kernel reads them); the accumulators are not copied at all, so per update value the fold
 * reads 4 bytes and the accumulators 4 more (16 bytes read and written once for a group of four);
 * the plain float32 multiply-add moves 12.
 *
 * The module is assembled here from the instruction list below. Its text form for four updates
 * (the one- and two-update kernels drop the terms they have no update for):
 *
 *   (module
 *     (import "env" "memory" (memory 1))       ;; four blocks from byte 0, then the accumulators
 *     (func (export "fold4") (param $acc i32) (param $n i32)
 *                            (param $wa f64) (param $wb f64) (param $wc f64) (param $wd f64)
 *       ;; $n values of each block (a multiple of 4) into the accumulators at byte $acc
 *       (local $p i32) (local $end i32) (local $q i32)
 *       (local $sa v128) (local $sb v128) (local $sc v128) (local $sd v128)    ;; weights, splat
 *       (local $va v128) (local $vb v128) (local $vc v128) (local $vd v128)    ;; four values of each
 *       (local.set $sa (f64x2.splat (local.get $wa))) ... $sd
 *       (local.set $end (i32.shl (local.get $n) (i32.const 2)))
 *       (local.set $q (local.get $acc))
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $va (v128.load offset=0 (local.get $p)))            ;; block 0
 *         (local.set $vb (v128.load offset=32768 (local.get $p)))        ;; block 1, and so on
 *         ...
 *         (v128.store offset=0 (local.get $q) (f64x2.add (v128.load offset=0 (local.get $q))
 *           (f64x2.add
 *             (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $va)) (local.get $sa))
 *                        (f64x2.mul (f64x2.promote_low_f32x4 (local.get $vb)) (local.get $sb)))
 *             (f64x2.add (f64x2.mul (f64x2.promote_low_f32x4 (local.get $vc)) (local.get $sc))
 *                        (f64x2.mul (f64x2.promote_low_f32x4 (local.get $vd)) (local.get $sd))))))
 *         (v128.store offset=16 (local.get $q) ...)    ;; the same for float32 lanes 2 and 3,
 *                                                      ;; moved down by i8x16.shuffle 8..15 8..15
 *         (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *         (local.set $q (i32.add (local.get $q) (i32.const 32)))
 *         (br 0))))
 *
 * Each value is the JavaScript expression `sum += a*wa + b*wb + (c*wc + d*wd)` (or `sum += a*wa + b*wb`,
 * `sum += a*wa`) evaluated lane by lane: the same float64 operations in the same order, each rounded
 * once (WebAssembly has no fused multiply-add here), so the result is the same bit for bit. The
 * test checks that against the scalar loops.
 */
import { createKeptMemory } from "@/server/lib/kept-memory";
import { assembleModule, F64, I32, op, V128, type KernelFunction } from "./wasm-assembler";

/** Values per block and call: 32 KiB of float32 per update, four blocks and their accumulators in L2. */
export const FOLD_BLOCK_VALUES = 8_192;
const BLOCK_BYTES = FOLD_BLOCK_VALUES * 4;
const GROUPS = [1, 2, 4] as const;
const ACCUMULATORS_AT = BLOCK_BYTES * 4;
const PAGE_BYTES = 65_536;
/** A 32-bit memory holds 4 GiB: about 536 M float64 accumulators, ten times the largest model allowed. */
const MAX_PAGES = 65_536;

type Group = (typeof GROUPS)[number];

/**
 * fold<k> adds the products to the accumulators; first<k> adds them to zero instead of loading the
 * accumulators, for a tensor's first fold. The bits are the same (the accumulators start at +0), but
 * the first touch of a fresh page is then a write: a read first would map the kernel's zero page and
 * fault again on the write, twice the page faults (a third of the fold's time for a new 80 MB sum).
 */
function foldFunction(k: Group, first: boolean): KernelFunction {
  // Locals: 0 $acc, 1 $n, 2.. the weights; then $p, $end, $q, k splats, k vectors, and $zero
  // (never set: locals start at zero).
  const [ACC, N, W] = [0, 1, 2];
  const P = W + k;
  const [END, Q, S, V] = [P + 1, P + 2, P + 3, P + 3 + k];
  const ZERO = V + k;
  const product = (j: number, high: boolean) => [
    ...op.get(V + j),
    ...(high ? [...op.get(V + j), ...op.highHalfToLow] : []),
    ...op.f64x2PromoteLowF32x4,
    ...op.get(S + j),
    ...op.f64x2Mul,
  ];
  // a*wa; a*wa + b*wb; (a*wa + b*wb) + (c*wc + d*wd): as JavaScript evaluates the same expressions.
  const terms = (high: boolean) =>
    k === 1
      ? product(0, high)
      : k === 2
        ? [...product(0, high), ...product(1, high), ...op.f64x2Add]
        : [
            ...[...product(0, high), ...product(1, high), ...op.f64x2Add],
            ...[...product(2, high), ...product(3, high), ...op.f64x2Add],
            ...op.f64x2Add,
          ];
  const accumulate = (offset: number, high: boolean) => [
    ...op.get(Q),
    ...(first ? op.get(ZERO) : [...op.get(Q), ...op.v128Load(offset)]),
    ...terms(high),
    ...op.f64x2Add,
    ...op.v128Store(offset),
  ];
  const code = [
    ...Array.from({ length: k }, (_, j) => [...op.get(W + j), ...op.f64x2Splat, ...op.set(S + j)]).flat(),
    ...[...op.get(N), ...op.i32Const(2), ...op.i32Shl, ...op.set(END)],
    ...[...op.get(ACC), ...op.set(Q)],
    ...op.block,
    ...op.loop,
    ...[...op.get(P), ...op.get(END), ...op.i32GeU, ...op.brIf(1)],
    ...Array.from({ length: k }, (_, j) => [...op.get(P), ...op.v128Load(j * BLOCK_BYTES), ...op.set(V + j)]).flat(),
    ...accumulate(0, false),
    ...accumulate(16, true),
    ...[...op.get(P), ...op.i32Const(16), ...op.i32Add, ...op.set(P)],
    ...[...op.get(Q), ...op.i32Const(32), ...op.i32Add, ...op.set(Q)],
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
  return {
    name: `${first ? "first" : "fold"}${k}`,
    params: [I32, I32, ...Array.from({ length: k }, () => F64)],
    locals: [
      [3, I32],
      [2 * k + 1, V128],
    ],
    code,
  };
}

let compiled: WebAssembly.Module | null = null;
const foldModule = () =>
  (compiled ??= new WebAssembly.Module(
    assembleModule(
      GROUPS.flatMap((k) => [foldFunction(k, false), foldFunction(k, true)]),
      { pages: 1, importMemory: true },
    ),
  ));

/**
 * A round's accumulators are the size of the model and come round after round: a sum's memory is
 * kept for the next sum of the same size once it is released (server/lib/kept-memory.ts), so a
 * round does not pay a page fault per 4 KB of fresh accumulators (about 23 ms per million
 * parameters on this project's 2-core virtual machine). A few are kept, for sums of several jobs'
 * rounds open at once; a 50 M-parameter model's are 400 MB.
 */
const keptMemories = createKeptMemory<WebAssembly.Memory>({
  bytesOf: (memory) => memory.buffer.byteLength,
  maxKept: () => 4,
  maxBytes: 1024 * 1024 * 1024,
});
const memoryCounts = { allocated: 0, reused: 0 };

/** Accumulator memories kept for reuse now, and sums given new and kept memory so far. @internal for tests. */
export function accumulatorMemory() {
  return { kept: keptMemories.size, ...memoryCounts };
}

export interface FoldAccumulator {
  /** The float64 sums, one view per tensor into the module's memory (which never grows, so views stay valid). */
  readonly sums: Float64Array[];
  /** sums[t] += the updates' values times their weights, for one, two or four updates of tensor t. */
  fold(t: number, values: readonly Float32Array[], weights: readonly number[]): void;
  /** Says the sums were written other than by `fold` (a copy of another sum): folds must add to them. */
  markWritten(): void;
  /**
   * Gives the memory back for the next sum, once nothing reads this one again: its views read as
   * empty from then on (not as the next sum's values) and a fold throws.
   */
  release(): void;
}

/** Zeroed float64 accumulators for tensors of these lengths, each padded to whole vectors. */
export function createFoldAccumulator(lengths: readonly number[]): FoldAccumulator {
  const padded = lengths.map((length) => Math.ceil(length / 4) * 4);
  const starts: number[] = [];
  let bytes = ACCUMULATORS_AT;
  for (const length of padded) {
    starts.push(bytes);
    bytes += length * 8;
  }
  const pages = Math.ceil(bytes / PAGE_BYTES);
  if (pages > MAX_PAGES) throw new RangeError(`a model of ${bytes / 8} values is too large to aggregate in one sum`);
  const kept = keptMemories.take(pages * PAGE_BYTES);
  // Kept memory holds a released sum's values: zeroed, as fresh memory is (a write to pages already there).
  if (kept) new Uint8Array(kept.buffer, ACCUMULATORS_AT).fill(0);
  memoryCounts[kept ? "reused" : "allocated"]++;
  const memory = kept ?? new WebAssembly.Memory({ initial: pages });
  let isReleased = false;
  const exports = new WebAssembly.Instance(foldModule(), { env: { memory } }).exports;
  type Kernels = {
    1: (acc: number, n: number, wa: number) => void;
    2: (acc: number, n: number, wa: number, wb: number) => void;
    4: (acc: number, n: number, wa: number, wb: number, wc: number, wd: number) => void;
  };
  const kernels = (prefix: string) =>
    Object.fromEntries(GROUPS.map((k) => [k, exports[`${prefix}${k}`]])) as unknown as Kernels;
  const [fold, first] = [kernels("fold"), kernels("first")];
  // Tensors no fold has written yet (a sum that starts from another's is written by `set` first).
  const fresh = lengths.map(() => true);
  const blocks = [0, 1, 2, 3].map((j) => new Float32Array(memory.buffer, j * BLOCK_BYTES, FOLD_BLOCK_VALUES));
  const sums = lengths.map((length, t) => new Float64Array(memory.buffer, starts[t]!, length));
  return {
    sums,
    markWritten() {
      fresh.fill(false);
    },
    release() {
      if (isReleased) return;
      isReleased = true;
      // Growing by nothing detaches the memory's buffer, so every view of it taken so far reads as empty.
      memory.grow(0);
      keptMemories.keep(memory);
    },
    fold(t, values, weights) {
      // The kernels write by address: into a released memory, that would be another sum's.
      if (isReleased) throw new RangeError("this sum's memory was released; it cannot be folded into");
      const k = values.length;
      if (k !== 1 && k !== 2 && k !== 4)
        throw new RangeError(`the fold takes one, two or four updates at a time, not ${k}`);
      const [wa, wb, wc, wd] = weights as [number, number, number, number];
      const length = lengths[t]!;
      for (let at = 0; at < length; at += FOLD_BLOCK_VALUES) {
        const n = Math.min(FOLD_BLOCK_VALUES, length - at);
        // The tail is padded with zeros: 0 x weight adds nothing to padding no sum view shows.
        const whole = Math.ceil(n / 4) * 4;
        for (let j = 0; j < k; j++) {
          blocks[j]!.set(values[j]!.subarray(at, at + n));
          if (whole !== n) blocks[j]!.fill(0, n, whole);
        }
        const acc = starts[t]! + at * 8;
        const kernel = fresh[t] ? first : fold;
        if (k === 4) kernel[4](acc, whole, wa, wb, wc, wd);
        else if (k === 2) kernel[2](acc, whole, wa, wb);
        else kernel[1](acc, whole, wa);
      }
      fresh[t] = false;
    },
  };
}
