import * as tf from "@tensorflow/tfjs";

/** Best-of-N wall time of one call, in ms: the shared machine only ever adds noise. */
export async function timeBest(run: () => Promise<void> | void, repeats: number): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

export async function measureMatMulGflops(size: number, repeats: number): Promise<number> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  const multiply = () => {
    const product = tf.matMul(a, b);
    product.dataSync();
    product.dispose();
  };
  multiply();
  const ms = await timeBest(multiply, repeats);
  tf.dispose([a, b]);
  return (2 * size ** 3) / (ms * 1e6);
}

export async function trainStep(model: tf.LayersModel, xs: tf.Tensor, ys: tf.Tensor): Promise<void> {
  await model.trainOnBatch(xs, ys);
}

export interface KernelTotal {
  name: string;
  ms: number;
  calls: number;
}

/** Runs one step under tf.profile and totals kernel time by kernel name, largest first. */
export async function profileStep(step: () => Promise<void>): Promise<{ totals: KernelTotal[]; wallMs: number }> {
  const start = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - start;
  const byName = new Map<string, KernelTotal>();
  for (const kernel of info.kernels) {
    const total = byName.get(kernel.name) ?? { name: kernel.name, ms: 0, calls: 0 };
    total.ms += typeof kernel.kernelTimeMs === "number" ? kernel.kernelTimeMs : 0;
    total.calls += 1;
    byName.set(kernel.name, total);
  }
  return { totals: [...byName.values()].sort((x, y) => y.ms - x.ms), wallMs };
}
