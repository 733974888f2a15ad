import * as tf from "@tensorflow/tfjs";
import { selectTrainingBackend } from "@/workers/tfjs/backend";
import { activateWasmBackend } from "@/workers/tfjs/wasm-init";
import { measureDpSgdCost } from "./lib/dp-training";
import { measureMatMulGflops, profileStep, timeBest, trainStep } from "./lib/measure";
import { buildReferenceCnn, buildReferenceMlp, countTrainingFlops, makeBatch } from "./lib/reference-models";

/**
 * npm run bench:train — reference CNN training throughput on stock cpu vs wasm (with
 * FLIP's kernels), a dense-only MLP on wasm, and the CNN's achieved GFLOP/s against
 * wasm matMul measured in the same run, and example-level DP-SGD against plain local training (the
 * worker's own loops, MLP on wasm). Ratios are the stable figures on a shared box.
 */

const BATCH = 32;
const CPU_REPEATS = Number(process.env.BENCH_CPU_REPEATS ?? 1);
const WASM_REPEATS = Number(process.env.BENCH_WASM_REPEATS ?? 8);

async function measureSamplesPerSecond(build: () => tf.LayersModel, repeats: number, warmups: number): Promise<number> {
  const model = build();
  const { xs, ys } = makeBatch(BATCH);
  for (let i = 0; i < warmups; i++) await trainStep(model, xs, ys);
  const ms = await timeBest(() => trainStep(model, xs, ys), repeats);
  tf.dispose([xs, ys]);
  model.dispose();
  return (BATCH * 1000) / ms;
}

async function profileWasmCnnStep(): Promise<void> {
  const model = buildReferenceCnn();
  const { xs, ys } = makeBatch(BATCH);
  await trainStep(model, xs, ys);
  const { totals, wallMs } = await profileStep(() => trainStep(model, xs, ys));
  const kernelMs = totals.reduce((sum, total) => sum + total.ms, 0);
  console.log(`\nwasm CNN step profile (tf.profile, wall ${wallMs.toFixed(1)} ms, kernels ${kernelMs.toFixed(1)} ms):`);
  for (const total of totals.slice(0, 12)) {
    const share = ((100 * total.ms) / kernelMs).toFixed(1).padStart(5);
    console.log(`  ${total.name.padEnd(28)} ${total.ms.toFixed(1).padStart(8)} ms ${share}%  (${total.calls} calls)`);
  }
  tf.dispose([xs, ys]);
  model.dispose();
}

async function main(): Promise<void> {
  const report = await selectTrainingBackend({ override: "cpu" });
  const cpuCnn = await measureSamplesPerSecond(buildReferenceCnn, CPU_REPEATS, 1);
  console.log(`backend ${report.backend}: CNN ${cpuCnn.toFixed(2)} samples/s`);

  const wasm = await activateWasmBackend();
  console.log(`wasm: simd=${wasm.simd} threads=${wasm.threads}`);
  const matMulBefore = await measureMatMulGflops(512, 5);
  const wasmCnn = await measureSamplesPerSecond(buildReferenceCnn, WASM_REPEATS, 2);
  const wasmMlp = await measureSamplesPerSecond(buildReferenceMlp, WASM_REPEATS, 2);
  const dpSgd = await measureDpSgdCost(Math.max(1, Math.round(WASM_REPEATS / 4)));
  const matMulAfter = await measureMatMulGflops(512, 5);
  const matMul = Math.max(matMulBefore, matMulAfter);

  const flopsPerStep = countTrainingFlops(buildReferenceCnn(), BATCH);
  const cnnGflops = (flopsPerStep * wasmCnn) / BATCH / 1e9;
  const rows: [string, string][] = [
    ["batch", String(BATCH)],
    ["cpu CNN samples/s", cpuCnn.toFixed(2)],
    ["wasm CNN samples/s", wasmCnn.toFixed(2)],
    ["wasm MLP samples/s", wasmMlp.toFixed(2)],
    ["wasm CNN / cpu CNN", `${(wasmCnn / cpuCnn).toFixed(1)}x (target >= 30x)`],
    ["CNN training GFLOP per step", (flopsPerStep / 1e9).toFixed(3)],
    ["wasm CNN achieved GFLOP/s", cnnGflops.toFixed(2)],
    [
      "wasm matMul 512^3 GFLOP/s",
      `${matMul.toFixed(2)} (before ${matMulBefore.toFixed(2)}, after ${matMulAfter.toFixed(2)})`,
    ],
    ["CNN GFLOP/s / matMul GFLOP/s", `${((100 * cnnGflops) / matMul).toFixed(1)}% (target >= 30%)`],
    ["plain local MLP samples/s", dpSgd.plain.toFixed(2)],
    ["DP-SGD local MLP samples/s", dpSgd.dp.toFixed(2)],
    ["DP-SGD cost vs plain", `${dpSgd.ratio.toFixed(1)}x slower (per-example gradients)`],
  ];
  console.log("");
  for (const [label, value] of rows) console.log(`${label.padEnd(30)} ${value}`);
  await profileWasmCnnStep();
}

await main();
