import { describe, expect, it } from 'vitest';
import { Rng, logGamma } from '../random';

describe('Rng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 20 }, () => a.uniform());
    const seqB = Array.from({ length: 20 }, () => b.uniform());
    const seqC = Array.from({ length: 20 }, () => c.uniform());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const u of seqA) expect(u >= 0 && u < 1).toBe(true);
  });

  it('draws distributions with the right first two moments', () => {
    const rng = new Rng(7);
    const n = 40000;
    const mean = (f: () => number): [number, number] => {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const x = f();
        s += x;
        s2 += x * x;
      }
      const m = s / n;
      return [m, s2 / n - m * m];
    };
    const [nm, nv] = mean(() => rng.normal());
    expect(Math.abs(nm)).toBeLessThan(0.03);
    expect(Math.abs(nv - 1)).toBeLessThan(0.05);
    const [gm, gv] = mean(() => rng.gamma(4));
    expect(Math.abs(gm - 4)).toBeLessThan(0.08);
    expect(Math.abs(gv - 4)).toBeLessThan(0.3);
    const [sm] = mean(() => rng.gamma(0.3));
    expect(Math.abs(sm - 0.3)).toBeLessThan(0.02);
    for (const lambda of [0.5, 3, 25, 700]) {
      const [pm, pv] = mean(() => rng.poisson(lambda));
      expect(Math.abs(pm - lambda) / lambda).toBeLessThan(0.03);
      expect(Math.abs(pv - lambda) / lambda).toBeLessThan(0.08);
    }
    const d = rng.dirichlet(5, 1);
    expect(d.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
  });

  it('computes log-gamma exactly at integers and accurately elsewhere', () => {
    expect(logGamma(1)).toBe(0);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(1000.5)).toBeCloseTo(5908.674175848678, 9);
    expect(logGamma(2.5)).toBeCloseTo(Math.log(1.329340388179137), 13);
  });

  it('gives memoised integer arguments the same value every time', () => {
    // log Γ(1001) = log 1000! = 5912.128178488163 (Python's math.lgamma).
    const first = logGamma(1001);
    expect(first).toBeCloseTo(5912.128178488163, 9);
    expect(logGamma(1001)).toBe(first);
    // Just below and at the memo's end agree with the neighbouring non-integer arguments.
    for (const x of [65535, 65536]) {
      expect(Math.abs(logGamma(x) - (logGamma(x - 0.5) + logGamma(x + 0.5)) / 2)).toBeLessThan(1e-3);
    }
  });
});
