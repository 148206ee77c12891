import { describe, expect, it } from 'vitest';
import { synthesizeGeneModules } from '../../analysis/synthetic';
import { RUN_FIT_DEFAULTS } from '../../domain/defaults';
import { dense } from '../../linalg/matrix';
import { betaDivergence, fitNmf, fitReplicates, replicateStart } from '../index';

/**
 * Planted 300 × 100 counts with 5 modules (mean count ~1000 per entry), the case `nmf-studio synth
 * --features 300 --samples 100 --rank 5` writes. From NNDSVDa (loss ~4e10 at the start, since it
 * fills with mean(V)), scikit-learn's test — decrease of sqrt(2·D) relative to the start's — stopped
 * KL updates at iteration 90–140 with losses of 48k–107k and called them converged.
 */
const planted = (seed: number) => {
  const data = synthesizeGeneModules({ features: 300, samples: 100, rank: 5, seed });
  const scaledW = dense(
    300,
    5,
    Float64Array.from(data.truth.W.data, (w) => w * data.truth.depth),
  );
  return { V: data.V, truthLoss: betaDivergence(data.V, scaledW, data.truth.H, 1) };
};
const error = (loss: number) => Math.sqrt(2 * loss);

describe('stopping and defaults of KL fits on planted counts', () => {
  for (const seed of [0, 1, 2]) {
    it(`does not call a fit converged while it still falls fast (seed ${seed})`, () => {
      const { V } = planted(seed);
      const fit = fitNmf(V, { rank: 5, beta: 1 });
      const n = fit.trace.length;
      const [, previous] = fit.trace[n - 2];
      const [, last] = fit.trace[n - 1];
      // At the stop, the error fell by less than 10·tol of itself over the last 10 iterations.
      if (fit.converged) expect((error(previous) - error(last)) / error(last)).toBeLessThan(10 * 1e-4);
      expect(fit.iterations).toBeGreaterThan(200);
    });

    it(`reaches the planted factors' loss with a run's defaults (seed ${seed})`, () => {
      const { V, truthLoss } = planted(seed);
      const fit = fitNmf(V, { rank: 5, beta: 1, ...RUN_FIT_DEFAULTS });
      expect(fit.loss).toBeLessThan(truthLoss);
      // Without the warm-up the same start ends in a local minimum far above it.
      const plain = fitNmf(V, { rank: 5, beta: 1, ...RUN_FIT_DEFAULTS, warmup: 0 });
      expect(plain.loss).toBeGreaterThan(1.5 * truthLoss);
    });
  }

  it('starts replicates after the first from random factors with their own seeds', () => {
    const { V } = planted(0);
    const options = { rank: 5, beta: 1, init: 'nndsvda' as const, maxIter: 60, seed: 7 };
    const { replicates, best } = fitReplicates(V, options, 3);
    expect(replicates.map((r) => [r.options.init, r.options.seed])).toEqual([
      ['nndsvda', 7],
      ['random', 8],
      ['random', 9],
    ]);
    expect(new Set(replicates.map((r) => r.loss)).size).toBe(3);
    expect(best.loss).toBe(Math.min(...replicates.map((r) => r.loss)));
    // Each replicate is the fit its start gives alone, to the bit.
    const alone = fitNmf(V, { ...options, ...replicateStart('nndsvda', 7, 2) });
    expect(Buffer.from(alone.W.data.buffer).equals(Buffer.from(replicates[2].W.data.buffer))).toBe(true);
    expect(replicateStart('random', 3, 0)).toEqual({ init: 'random', seed: 3 });
    expect(replicateStart('custom', 3, 1)).toEqual({ init: 'random', seed: 4 });
  });
});

describe('stopping of coordinate-descent fits (HALS, ALS) on planted counts', () => {
  // scikit-learn's `cd` test (violation ≤ tol × the first iteration's) passed at iterations 5–8 on
  // these data from NNDSVDa, at 16–135× the loss 2000 iterations reach.
  for (const seed of [1, 2, 3]) {
    for (const solver of ['hals', 'als'] as const) {
      it(`${solver} stops within 1 % of a 2000-iteration fit's loss (seed ${seed})`, () => {
        const { V } = planted(seed);
        const fit = fitNmf(V, { rank: 5, beta: 2, solver });
        const long = fitNmf(V, { rank: 5, beta: 2, solver, tol: 0, maxIter: 2000 });
        expect(fit.converged).toBe(true);
        expect(fit.loss).toBeLessThan(1.01 * long.loss);
      });
    }
  }
});
