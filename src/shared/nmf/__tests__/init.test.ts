import { describe, expect, it } from 'vitest';
import { dense } from '../../linalg/matrix';
import { csrFromDense } from '../../linalg/ops';
import { FitSettingsError, initialize } from '../index';
import { planted } from './helpers';

const { V } = planted(50, 30, 4, 2, { poisson: 6 });
let total = 0;
for (const v of V.data) total += v;
const mean = total / V.data.length;

describe('initialize', () => {
  it('random: avg·|N(0,1)| with avg = sqrt(mean(V)/k), reproducible by seed', () => {
    const a = initialize(V, 4, 'random', 7);
    const b = initialize(V, 4, 'random', 7);
    const c = initialize(V, 4, 'random', 8);
    expect(a.W.data).toEqual(b.W.data);
    expect(a.H.data).toEqual(b.H.data);
    expect(c.W.data).not.toEqual(a.W.data);
    expect([a.W.rows, a.W.cols, a.H.rows, a.H.cols]).toEqual([50, 4, 4, 30]);
    const all = [...a.W.data, ...a.H.data];
    for (const x of all) expect(x).toBeGreaterThanOrEqual(0);
    // E|N(0,1)| = sqrt(2/π); 320 draws put the sample mean within a few percent.
    const sampleMean = all.reduce((s, x) => s + x, 0) / all.length;
    const expected = Math.sqrt(mean / 4) * Math.sqrt(2 / Math.PI);
    expect(Math.abs(sampleMean / expected - 1)).toBeLessThan(0.1);
  });

  it('nndsvd has zeros, nndsvda fills them with mean(V), nndsvdar with small random values', () => {
    const plain = initialize(V, 4, 'nndsvd', 0);
    const filled = initialize(V, 4, 'nndsvda', 0);
    const random = initialize(V, 4, 'nndsvdar', 0);
    const zeros: number[] = [];
    plain.W.data.forEach((x, q) => {
      expect(x === 0 || x >= 1e-6).toBe(true);
      if (x === 0) zeros.push(q);
    });
    expect(zeros.length).toBeGreaterThan(0);
    plain.W.data.forEach((x, q) => {
      if (x === 0) {
        expect(filled.W.data[q]).toBe(mean);
        expect(random.W.data[q]).toBeGreaterThanOrEqual(0);
        expect(random.W.data[q]).toBeLessThan(mean / 10);
      } else {
        expect(filled.W.data[q]).toBe(x);
        expect(random.W.data[q]).toBe(x);
      }
    });
    // The leading component is sqrt(σ₀)·|u₀| ⊗ sqrt(σ₀)·|v₀|: strictly positive on positive data.
    for (let i = 0; i < 50; i++) expect(plain.W.data[i * 4]).toBeGreaterThan(0);
  });

  it('gives the same start for dense and CSR input, and uses the observed mean with missing values', () => {
    const a = initialize(V, 4, 'nndsvda', 3);
    const b = initialize(csrFromDense(V), 4, 'nndsvda', 3);
    expect(b.W.data).toEqual(a.W.data);
    // Missing entries: the mean is over observed entries (here 16 / 8 = 2).
    const withMissing = dense(3, 3, Float64Array.from([1, NaN, 0, 3, 5, 1, 0, 2, 4]));
    const zerosKept = initialize(withMissing, 2, 'nndsvd', 0);
    const filled = initialize(withMissing, 2, 'nndsvda', 0);
    const both = [...zerosKept.W.data, ...zerosKept.H.data];
    const bothFilled = [...filled.W.data, ...filled.H.data];
    expect(both.filter((x) => x === 0).length).toBeGreaterThan(0);
    both.forEach((x, q) => expect(bothFilled[q]).toBe(x === 0 ? 2 : x));
  });

  it('rejects a rank above min(m, n)', () => {
    expect(() => initialize(V, 31, 'random', 0)).toThrow(FitSettingsError);
    expect(() => initialize(V, 31, 'random', 0)).toThrow('rank 31 exceeds min(m, n) = 30');
  });
});
