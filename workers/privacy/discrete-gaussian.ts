import { secureUniforms } from "./gaussian";

/**
 * Discrete Gaussian noise N_Z(0, σ²) for integer counts, from the operating system's CSPRNG (never a
 * seed the hub could know). The sampler is Algorithm 1 of Canonne, Kamath & Steinke (2020): draw Y
 * from the discrete Laplace distribution with scale t = ⌊σ⌋ + 1 and keep it with probability
 * exp(−(|Y| − σ²/t)² / (2σ²)); what is kept is exactly N_Z(0, σ²). Discrete Laplace draws are a
 * fair sign and a geometric magnitude (by inversion), rejecting "−0" so zero is not counted twice.
 * Uniforms carry 53 random bits and the acceptance test is in floating point, so the distribution
 * is the discrete Gaussian to within double precision, not bit-exact.
 */
const BATCH = 1024;

export function createDiscreteGaussian(sigma: number): () => number {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`σ must be a finite number above 0, not ${sigma}`);
  const t = Math.floor(sigma) + 1;
  const variance = sigma * sigma;
  let uniforms = secureUniforms(BATCH);
  let k = 0;
  const uniform = () => {
    if (k === BATCH) {
      uniforms = secureUniforms(BATCH);
      k = 0;
    }
    return uniforms[k++]!;
  };
  const discreteLaplace = (): number => {
    for (;;) {
      const negative = uniform() < 0.5;
      // Geometric with P(G = g) ∝ exp(−g/t): ⌊−t log U⌋ with U in (0, 1].
      const magnitude = Math.floor(-t * Math.log(1 - uniform()));
      if (negative && magnitude === 0) continue;
      return negative ? -magnitude : magnitude;
    }
  };
  return () => {
    for (;;) {
      const y = discreteLaplace();
      const gap = Math.abs(y) - variance / t;
      if (uniform() < Math.exp(-(gap * gap) / (2 * variance))) return y;
    }
  };
}
