/**
 * Rényi differential privacy (RDP) accounting for the Gaussian mechanism, with and without Poisson
 * subsampling, and its conversion to (ε, δ). Shared by the training form (the live estimate), the hub
 * (the model card) and the site (its budget): all three must compute the same ε for the same settings.
 *
 * - RDP of the sampled Gaussian mechanism at order α: Mironov, Talwar & Zhang, "Rényi Differential
 *   Privacy of the Sampled Gaussian Mechanism" (2019), §3.3: log A_α as a finite binomial sum for
 *   integer α and as a convergent series with erfc terms for fractional α. ε_α = log(A_α) / (α − 1).
 * - Without subsampling (q = 1) the Gaussian mechanism's RDP is α / (2σ²) (Mironov 2017, Prop. 7).
 * - Composition adds RDP order by order; the conversion to (ε, δ) is Canonne, Kamath & Steinke (2020),
 *   Prop. 12 (as in Balle et al. 2020): ε = ρ_α + log((α−1)/α) − (log δ + log α)/(α − 1), minimised
 *   over the orders. This is what TensorFlow Privacy's and Opacus's RDP accountants compute.
 */

/** Orders tried when none are given: fine near 1 (small ε, many steps) and integers up to 256. */
export const DEFAULT_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
  80,
  96,
  128,
  192,
  256,
];

/** One composed mechanism: `steps` runs of the Gaussian mechanism with noise multiplier σ, each on a Poisson sample of rate q. */
export type GaussianEvent = { samplingRate: number; noiseMultiplier: number; steps: number };

function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const hi = Math.max(a, b);
  return hi + Math.log1p(Math.exp(Math.min(a, b) - hi));
}

/** log(exp(a) − exp(b)) for a ≥ b. */
function logSub(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a <= b) return -Infinity;
  return a + Math.log(-Math.expm1(b - a));
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/** log erfc(x), accurate to about 1e-14 relative and without underflow for large x. */
export function logErfc(x: number): number {
  if (x < 0) return Math.log(2 - Math.exp(logErfc(-x)));
  if (x < 2) {
    // erf by its Maclaurin series; terms peak near e^{x²} ≤ 55, so little precision is lost.
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.log1p((-2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by the modified Lentz method.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -x * x - LOG_SQRT_PI - Math.log(f);
}

/** log A_α of the sampled Gaussian mechanism for integer α ≥ 2. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  let logBinomial = 0;
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinomial += Math.log(alpha - i + 1) - Math.log(i);
    const term = logBinomial + i * Math.log(q) + (alpha - i) * Math.log1p(-q) + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, term);
  }
  return logA;
}

/** log A_α of the sampled Gaussian mechanism for fractional α > 1: two alternating series, summed until negligible. */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logCoefficient = 0;
  let isPositive = true;
  for (let i = 0; i < 100_000; i++) {
    if (i > 0) {
      const factor = (alpha - i + 1) / i;
      logCoefficient += Math.log(Math.abs(factor));
      if (factor < 0) isPositive = !isPositive;
    }
    const j = alpha - i;
    const logT0 = logCoefficient + i * logQ + j * log1mQ;
    const logT1 = logCoefficient + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (isPositive) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

/** RDP ε_α of one step of the sampled Gaussian mechanism. */
function rdpOfStep(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (!Number.isFinite(alpha)) return Infinity;
  if (sigma === 0) return Infinity;
  if (q === 1) return alpha / (2 * sigma * sigma);
  const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

function checkEvent(event: GaussianEvent): void {
  const { samplingRate: q, noiseMultiplier: sigma, steps } = event;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`the sampling rate must lie in [0, 1], not ${q}`);
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`the noise multiplier must be ≥ 0, not ${sigma}`);
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a whole number ≥ 0, not ${steps}`);
}

/** RDP at each order of a composition of Gaussian events (orders > 1). */
export function computeRdp(events: readonly GaussianEvent[], orders: readonly number[] = DEFAULT_ORDERS): number[] {
  for (const event of events) checkEvent(event);
  return orders.map((alpha) => {
    if (!(alpha > 1)) throw new RangeError(`RDP orders must be greater than 1, not ${alpha}`);
    let total = 0;
    for (const e of events) if (e.steps > 0) total += e.steps * rdpOfStep(e.samplingRate, e.noiseMultiplier, alpha);
    return total;
  });
}

export type PrivacySpent = { epsilon: number; order: number };

/** The smallest ε over the orders for which the RDP curve gives (ε, δ)-DP. */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): PrivacySpent {
  if (!(delta > 0 && delta < 1)) throw new RangeError(`δ must lie strictly between 0 and 1, not ${delta}`);
  let best: PrivacySpent = { epsilon: Infinity, order: NaN };
  orders.forEach((alpha, k) => {
    const r = rdp[k]!;
    let epsilon: number;
    // When δ² ≥ 1 − e^{−ρ} the pair is (0, δ)-DP already (Canonne, Kamath & Steinke, Prop. 12).
    if (delta * delta + Math.expm1(-r) >= 0) epsilon = 0;
    else if (alpha > 1.01) epsilon = r + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
    else epsilon = Infinity;
    if (epsilon < best.epsilon) best = { epsilon: Math.max(0, epsilon), order: alpha };
  });
  return best;
}

/** ε at δ of a composition of Gaussian events. @internal the tests check the accountant through it. */
export function epsilonOf(
  events: readonly GaussianEvent[],
  delta: number,
  orders: readonly number[] = DEFAULT_ORDERS,
): PrivacySpent {
  return epsilonFromRdp(orders, computeRdp(events, orders), delta);
}
