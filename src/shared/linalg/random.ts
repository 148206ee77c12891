/**
 * The one seeded random generator. Every random choice in the engine and analysis goes through it,
 * so the same inputs and seed give the same bits on every run and platform.
 *
 * Core: xoshiro128** (Blackman & Vigna, 2018) on 32-bit integer arithmetic, seeded by splitmix32,
 * which JavaScript computes exactly with Math.imul and `>>> 0`. Doubles take 53 random bits from
 * two outputs. Distributions: normal by the polar Box–Muller method, gamma by Marsaglia & Tsang
 * (2000), Poisson by multiplication (λ < 10) or Hörmann's PTRS (1993), Dirichlet from gammas.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // splitmix32 over the seed's low and high 32-bit halves, so seeds up to 2^53 are distinct.
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) >>> 0, 0x9e3779b9);
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal N(0, 1) (polar Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    return u * factor;
  }

  /** Gamma(shape, 1) (Marsaglia & Tsang 2000; shape < 1 by the boost Gamma(a+1)·U^(1/a)). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be positive, got ${shape}`);
    if (shape < 1) {
      const boosted = this.gamma(shape + 1);
      return boosted * Math.pow(this.uniformOpen(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniformOpen();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Poisson(λ): multiplication method for λ < 10, PTRS transformed rejection (Hörmann 1993) above. */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda))
      throw new RangeError(`Poisson mean must be finite and ≥ 0, got ${lambda}`);
    if (lambda === 0) return 0;
    if (lambda < 10) {
      const limit = Math.exp(-lambda);
      let count = 0;
      let product = this.uniform();
      while (product > limit) {
        count++;
        product *= this.uniform();
      }
      return count;
    }
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <=
        -lambda + k * loglam - logGamma(k + 1)
      ) {
        return k;
      }
    }
  }

  /** A draw from Dirichlet(alpha, …, alpha) of the given dimension, or with per-coordinate concentrations. */
  dirichlet(dimension: number, alpha: number | readonly number[] = 1): Float64Array {
    const out = new Float64Array(dimension);
    let total = 0;
    for (let i = 0; i < dimension; i++) {
      const concentration = typeof alpha === 'number' ? alpha : alpha[i];
      out[i] = this.gamma(concentration);
      total += out[i];
    }
    for (let i = 0; i < dimension; i++) out[i] /= total;
    return out;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T extends { length: number; [index: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /**
   * `size` distinct indices of 0..n−1 drawn uniformly, in the order drawn (partial Fisher–Yates:
   * the first `size` steps of a shuffle of 0..n−1).
   */
  subset(n: number, size: number): number[] {
    const pool = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < size; i++) {
      const j = i + this.int(n - i);
      const swap = pool[i];
      pool[i] = pool[j];
      pool[j] = swap;
    }
    return Array.from(pool.subarray(0, size));
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  private uniformOpen(): number {
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    return u;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * log Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error below 1e-15 over the
 * range used here). Integer arguments up to 170 are summed exactly from log k, so log V! for counts
 * is exact to rounding.
 */
export function logGamma(x: number): number {
  if (x <= 0) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (Number.isInteger(x) && x <= 171) return logFactorialTable(x - 1);
  if (Number.isInteger(x) && x < LANCZOS_MEMO_SIZE) {
    // Counts repeat: the Poisson log-likelihood asks for log Γ(v + 1) of every count, millions of
    // times for a large table, so integer arguments are memoised (the same value, computed once).
    if (lanczosMemo === null) lanczosMemo = new Float64Array(LANCZOS_MEMO_SIZE).fill(NaN);
    const memo = lanczosMemo[x];
    if (memo === memo) return memo;
    return (lanczosMemo[x] = lanczos(x));
  }
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  return lanczos(x);
}

/** Integers below this have their log Γ memoised (512 KB). */
const LANCZOS_MEMO_SIZE = 65536;
let lanczosMemo: Float64Array | null = null;

/** Lanczos approximation (g = 7, 9 terms) of log Γ(x) for x ≥ 0.5. */
function lanczos(x: number): number {
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < 9; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

let logFactorials: Float64Array | null = null;
function logFactorialTable(n: number): number {
  if (logFactorials === null) {
    logFactorials = new Float64Array(171);
    for (let k = 1; k < 171; k++) logFactorials[k] = logFactorials[k - 1] + Math.log(k);
  }
  return logFactorials[n];
}
