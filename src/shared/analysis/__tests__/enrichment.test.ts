import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, enrichMarkers, hypergeometricUpperTail, parseGmt } from '../enrichment';
import hypergeom from './fixtures/hypergeom.json';

/** Reference: fixtures/make-hypergeom.py (scipy.stats.hypergeom.sf). */
describe('hypergeometric upper tail against scipy', () => {
  for (const c of hypergeom.cases) {
    it(`P(X ≥ ${c.x}) with N ${c.N}, K ${c.K}, n ${c.n}`, () => {
      const p = hypergeometricUpperTail(c.x, c.N, c.K, c.n);
      if (c.p === 0) expect(p).toBeLessThan(1e-300);
      else expect(Math.abs(p - c.p) / c.p).toBeLessThan(1e-9);
    });
  }
  it('refuses impossible arguments', () => {
    expect(() => hypergeometricUpperTail(1, 10, 11, 2)).toThrow(/cannot exceed the population/);
    expect(() => hypergeometricUpperTail(-1, 10, 1, 2)).toThrow(/non-negative integer/);
  });
});

describe('Benjamini–Hochberg', () => {
  it("matches R's p.adjust(c(0.01, 0.04, 0.03, 0.2), 'BH')", () => {
    // p.adjust(c(0.01, 0.04, 0.03, 0.2), "BH") = 0.04 0.05333333 0.05333333 0.2
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.2]);
    expect(q[0]).toBeCloseTo(0.04, 15);
    expect(q[1]).toBeCloseTo(0.16 / 3, 15);
    expect(q[2]).toBeCloseTo(0.16 / 3, 15);
    expect(q[3]).toBeCloseTo(0.2, 15);
  });
  it('counts tests that are not reported', () => {
    expect(benjaminiHochberg([0.01], 10)[0]).toBeCloseTo(0.1, 15);
  });
});

describe('GMT files and enrichment', () => {
  const gmt = 'SET_A\tna\tg1\tg2\tg3\tg4\nSET_B\thttp://x\tG5\tg6\tnot_here\n\nSET_C\tna\tg7\n';
  it('reads sets and refuses a line without genes, naming it', () => {
    const sets = parseGmt(gmt, 'sets.gmt');
    expect(sets.map((s) => s.name)).toEqual(['SET_A', 'SET_B', 'SET_C']);
    expect(() => parseGmt('A\tna\tg1\nB\tna\n', 'bad.gmt')).toThrow(
      'bad.gmt line 2: a GMT line needs a set name, a description and at least one gene, separated by tabs',
    );
    expect(() => parseGmt('A\tna\tg1\nA\tna\tg2\n', 'dup.gmt')).toThrow(
      'dup.gmt line 2: set "A" is also on line 1',
    );
  });
  it('tests against the dataset features, ignoring case, sorted by q', () => {
    const universe = Array.from({ length: 20 }, (_, i) => `g${i + 1}`);
    const result = enrichMarkers(['g1', 'g2', 'g3', 'g5'], universe, parseGmt(gmt, 'sets.gmt'));
    expect(result.tested).toBe(3);
    expect(result.sets.map((s) => s.name)).toEqual(['SET_A', 'SET_B']);
    const a = result.sets[0];
    expect(a.overlap).toBe(3);
    expect(a.size).toBe(4);
    expect(a.genes).toEqual(['g1', 'g2', 'g3']);
    expect(a.p).toBeCloseTo(hypergeometricUpperTail(3, 20, 4, 4), 15);
    expect(result.sets[1].size).toBe(2); // not_here is not a feature
    expect(a.q).toBeCloseTo(Math.min(1, 3 * a.p), 15);
  });
});
