/**
 * bench:aggregate — how fast the hub folds site updates into a round.
 *
 * 10 sites x 10 M float32 parameters (400 MB of updates), generated once from a deterministic PRNG.
 * Same run, same bytes: the hub's running sum (Float64 accumulators, see running-sum.ts) and its
 * validation (finiteness + L2 norm) against a plain Float32Array multiply-add loop, the fastest
 * thing JavaScript can do with these bytes. Best of N CPU times, the four measured in turn in
 * every repeat; MB = 10^6 bytes of float32 updates read.
 *
 * BENCH_PARAMS and BENCH_REPEATS override the size and repeat count for a quick smoke run.
 */
import { createRunningSum } from "@/server/aggregation/running-sum";
import { validateUpdate, type TensorSpec } from "@/server/aggregation/validate-update";
import type { NamedTensor } from "@/protocol/tensor-codec";

const SITES = 10;
const PARAMS = Number(process.env.BENCH_PARAMS ?? 10_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const NORM_BOUND = 10;

// Two tensors rather than one, so per-tensor overhead is in the measurement as it is for a real model.
const FIRST = Math.floor(PARAMS * 0.75);
const SPEC: TensorSpec[] = [
  { name: "dense1/kernel", shape: [FIRST] },
  { name: "dense2/kernel", shape: [PARAMS - FIRST] },
];

type SiteUpdate = { id: string; weight: number; flat: Float32Array; tensors: NamedTensor[] };

/** mulberry32: fast, deterministic, good enough to make values that are not all alike. */
function createPrng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function generateUpdate(site: number): SiteUpdate {
  const next = createPrng(1000 + site);
  const flat = new Float32Array(PARAMS);
  // Deltas of about +-1e-3 per value: a norm near 1.8, under the bound, as a healthy update would be.
  for (let i = 0; i < PARAMS; i++) flat[i] = (next() - 0.5) * 2e-3;
  let offset = 0;
  const tensors = SPEC.map(({ name, shape }) => {
    const length = shape[0]!;
    const data = flat.subarray(offset, offset + length);
    offset += length;
    return { name, shape: [...shape], data };
  });
  return { id: `site-${site}`, weight: 100 + Math.floor(next() * 900), flat, tensors };
}

/** CPU time of this process (user + system), in ms: on a shared machine wall time mostly measures the neighbours. */
function timeMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/**
 * Into `acc`, zeroed first: as the hub's sums reuse their memory round after round, the plain loop
 * does not pay the first touch of fresh memory either (a page fault per 4 KB, most of this loop's
 * time on a virtual machine where faults are slow).
 */
function plainMultiplyAdd(updates: SiteUpdate[], acc: Float32Array): Float32Array {
  acc.fill(0);
  for (const update of updates) {
    const values = update.flat;
    const weight = update.weight;
    for (let i = 0; i < values.length; i++) acc[i]! += weight * values[i]!;
  }
  return acc;
}

function foldRunningSum(updates: SiteUpdate[]): number {
  const sum = createRunningSum(SPEC);
  for (const update of updates) sum.add(update.id, update.tensors, update.weight);
  // Reading the sums folds the updates still waiting for a group of four: all ten are in the time.
  const first = sum.sums[0]![0]!;
  // As the hub does once a round has closed: the next sum (the next repeat) reuses the memory.
  sum.release();
  return first;
}

function validateAll(updates: SiteUpdate[]): void {
  for (const update of updates) {
    const check = validateUpdate(update.tensors, SPEC, NORM_BOUND);
    if (!check.ok) throw new Error(`bench update refused: ${check.reason}`);
  }
}

function main(): void {
  const generateStart = performance.now();
  const updates = Array.from({ length: SITES }, (_, site) => generateUpdate(site));
  const generateMs = performance.now() - generateStart;
  const megabytes = (SITES * PARAMS * 4) / 1e6;

  // A sink for results so the JIT cannot drop the loops whose output is otherwise unused.
  let sink = 0;
  // Interleaved, best of N each: on a shared machine the load drifts between runs, and running the
  // four one after another in every repeat lets each see the same conditions.
  const plainAcc = new Float32Array(PARAMS);
  const runs = {
    plain: () => {
      sink += plainMultiplyAdd(updates, plainAcc)[0]!;
    },
    fold: () => {
      sink += foldRunningSum(updates);
    },
    validate: () => validateAll(updates),
    both: () => {
      validateAll(updates);
      sink += foldRunningSum(updates);
    },
  };
  const best = { plain: Infinity, fold: Infinity, validate: Infinity, both: Infinity };
  for (let i = 0; i < REPEATS; i++) {
    for (const key of Object.keys(runs) as (keyof typeof runs)[]) best[key] = Math.min(best[key], timeMs(runs[key]));
  }
  const { plain: plainMs, fold: foldMs, validate: validateMs, both: bothMs } = best;

  const rate = (ms: number) => megabytes / (ms / 1000);
  const line = (label: string, ms: number) =>
    console.log(`${label.padEnd(44)} ${ms.toFixed(1).padStart(8)} ms  ${rate(ms).toFixed(0).padStart(6)} MB/s`);
  console.log(
    `bench:aggregate  ${SITES} sites x ${PARAMS.toLocaleString("en-GB")} float32 params = ${megabytes.toFixed(0)} MB of updates, best of ${REPEATS} (CPU time)`,
  );
  console.log(`node ${process.version}, updates generated in ${(generateMs / 1000).toFixed(1)} s (not timed)`);
  line("plain Float32Array multiply-add (reference)", plainMs);
  line("running sum fold (Float64, four a pass; SIMD)", foldMs);
  line("validation (shapes, finite, L2 norm; SIMD)", validateMs);
  line("validation + running sum fold", bothMs);
  console.log(
    `ratio fold / plain:                 ${(rate(foldMs) / rate(plainMs)).toFixed(2)} (1.00 = as fast as the plain loop)`,
  );
  console.log(`ratio validate+fold / plain:        ${(rate(bothMs) / rate(plainMs)).toFixed(2)}`);
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  if (Number.isNaN(sink)) console.log("(unreachable)");
}

main();
