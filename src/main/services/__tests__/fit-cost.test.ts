import { describe, expect, it } from 'vitest';
import {
  CALIBRATION_SHAPE,
  costBasis,
  costSettingsOf,
  fitFixedWork,
  fitIterationsWork,
  fitWork,
  fitWorkPerIteration,
  type CostShape,
} from '../fit-cost';
import { engineRate } from '../calibrate';
import { sweepJobWork, sweepSpecOf, withConsensusReplicates } from '../sweeps';
import { planSweep } from '../../../shared/analysis/sweep-plan';
import { cvHeldOutEntries } from '../../../shared/analysis/crossval';
import { sweepParamsSchema } from '../../../shared/domain';

/**
 * The estimates' cost model (services/fit-cost.ts): work in the calibration fit's multiply-adds,
 * by kernel family. What is checked here are the model's structure and units; its agreement with
 * the engine's times is measured (scripts/measure/engine-cost.ts, run-forecast.ts), not asserted.
 */
const denseShape = (rows: number, cols: number): CostShape => ({
  rows,
  cols,
  nnz: rows * cols,
  layout: 'dense',
});

describe('the fit cost model', () => {
  it('prices the calibration fit’s iteration at its own multiply-adds', () => {
    const { rows, cols, rank } = CALIBRATION_SHAPE;
    expect(fitWorkPerIteration(denseShape(rows, cols), rank, { beta: 1, solver: 'mu' })).toBeCloseTo(
      4 * rows * cols * rank + (rows + cols) * rank * rank,
      6,
    );
  });

  it('orders the losses as their kernels cost: general β, Itakura–Saito, KL, Frobenius HALS', () => {
    for (const [rows, cols, k] of [
      [2000, 500, 8],
      [5000, 38, 4],
      [300, 100, 16],
    ] as const) {
      const shape = denseShape(rows, cols);
      const general = fitWorkPerIteration(shape, k, { beta: 0.5 });
      const is = fitWorkPerIteration(shape, k, { beta: 0 });
      const kl = fitWorkPerIteration(shape, k, { beta: 1 });
      const hals = fitWorkPerIteration(shape, k, { beta: 2 });
      // Measured with the native terms: a β = 0.5 iteration takes 7–10× an Itakura–Saito one (a
      // power per entry), which takes 1.5–3× a KL one (two divisions per entry); before the native
      // terms an Itakura–Saito iteration took 5–30× a KL one.
      expect(general / is).toBeGreaterThan(5);
      expect(is / kl).toBeGreaterThan(1.5);
      expect(is / kl).toBeLessThan(4);
      expect(kl).toBeGreaterThan(hals);
    }
  });

  it('prices CSR by its stored entries, each dearer than a dense one', () => {
    const dense = denseShape(2000, 2000);
    const sparse: CostShape = { rows: 2000, cols: 2000, nnz: 400_000, layout: 'csr' };
    const denseWork = fitWorkPerIteration(dense, 10, { beta: 1 });
    const sparseWork = fitWorkPerIteration(sparse, 10, { beta: 1 });
    expect(sparseWork).toBeLessThan(denseWork);
    // A tenth of the entries stored costs more than a tenth of the dense iteration (measured: about a quarter).
    expect(sparseWork).toBeGreaterThan(denseWork / 10);
    // Doubling the stored entries about doubles the per-entry part.
    const denser = fitWorkPerIteration({ ...sparse, nnz: 800_000 }, 10, { beta: 1 });
    expect(denser / sparseWork).toBeGreaterThan(1.5);
    expect(denser / sparseWork).toBeLessThan(2);
    // Itakura–Saito and other β read every entry of WH: the stored ones do not bound them, and on
    // CSR V each stored entry adds a power and the loss's JavaScript pass (measured 1.5–1.9× the
    // dense iteration of the same shape at 10–30 % stored, β = 0.5).
    for (const beta of [0, 0.5]) {
      const ratio = fitWorkPerIteration(sparse, 10, { beta }) / fitWorkPerIteration(dense, 10, { beta });
      expect(ratio).toBeGreaterThan(1.4);
      expect(ratio).toBeLessThan(2.1);
    }
  });

  it('counts held-out entries and ALS as dearer than their plain family', () => {
    const shape = denseShape(2000, 500);
    const sparse: CostShape = { rows: 2000, cols: 500, nnz: 100_000, layout: 'csr' };
    expect(fitWorkPerIteration(shape, 8, { beta: 1, masked: true })).toBeGreaterThan(
      fitWorkPerIteration(shape, 8, { beta: 1 }),
    );
    expect(fitWorkPerIteration(sparse, 8, { beta: 1, masked: true })).toBeCloseTo(
      1.65 * fitWorkPerIteration(sparse, 8, { beta: 1 }),
      6,
    );
    expect(fitWorkPerIteration(shape, 8, { beta: 2, solver: 'als' })).toBeGreaterThan(
      fitWorkPerIteration(shape, 8, { beta: 2, solver: 'hals' }),
    );
  });

  it('prices a CSR fold fit over V’s stored entries and its held-out entries’ missing-value terms', () => {
    // 5000 × 400 counts, 10 % stored, folds of three: 6.7·10⁵ held-out entries a fold beside V's
    // 2·10⁵ stored ones, which the masked copy holds alone (analysis/crossval.ts maskFoldApart).
    // Measured (scripts/bench/sweep-jobs.ts --alternate, one thread, three runs pooled): a fold
    // iteration at 2.31 / 2.17 / 2.80× a replicate's at k = 2 / 3 / 5 (3.37 / 3.53 / 3.53× before
    // the warm-up's CSR products lost their branch on NaN); priced as if the copy stored the
    // held-out zeros, 5.7–6.1×. The model is nearly flat in k where the runs (under load) spread.
    const sparse: CostShape = { rows: 5000, cols: 400, nnz: 200_369, layout: 'csr' };
    const heldOutEntries = cvHeldOutEntries(5000, 400, 3) / 3;
    for (const [k, measured] of [
      [2, 2.31],
      [3, 2.17],
      [5, 2.8],
    ] as const) {
      const fold = fitWorkPerIteration(sparse, k, { beta: 1, masked: true, heldOutEntries });
      const ratio = fold / fitWorkPerIteration(sparse, k, { beta: 1 });
      expect(ratio / measured).toBeGreaterThan(0.85);
      expect(ratio / measured).toBeLessThan(1.15);
    }
    // Dense V holds every entry already: the held-out count changes nothing.
    const dense = denseShape(2000, 500);
    expect(fitWorkPerIteration(dense, 8, { beta: 1, masked: true, heldOutEntries })).toBe(
      fitWorkPerIteration(dense, 8, { beta: 1, masked: true }),
    );
    // A sweep's fold jobs carry their folds' count: the same job on CSR costs 2× or more its
    // replicate (the masked factor alone, without the held-out entries, gives 1.65×).
    const params = withConsensusReplicates(sparse, sweepParamsSchema.parse({ fromRank: 4, toRank: 4 }));
    const jobs = planSweep(sweepSpecOf(params));
    const fold = jobs.find((job) => job.kind === 'fold')!;
    const replicate = jobs.find((job) => job.kind === 'replicate')!;
    expect(sweepJobWork(sparse, { ...fold, screen: null }, 100)).toBeGreaterThan(
      2 * sweepJobWork(sparse, replicate, 100),
    );
  });

  it('prices minibatch passes against MU: online passes dearer, polish passes equal, the final solve per fit', () => {
    const sparse: CostShape = { rows: 2000, cols: 100_000, nnz: 20_000_000, layout: 'csr' };
    const mu = fitWorkPerIteration(sparse, 20, { beta: 1, solver: 'mu' });
    const minibatch = { beta: 1, solver: 'minibatch' } as const;
    expect(fitWorkPerIteration(sparse, 20, minibatch)).toBeCloseTo(mu, 6);
    // 5 online passes at 4 MU iterations each, then polish passes at one.
    expect(fitIterationsWork(sparse, 20, minibatch, 3)).toBeCloseTo(3 * 4 * mu, 3);
    expect(fitIterationsWork(sparse, 20, minibatch, 25)).toBeCloseTo((5 * 4 + 20) * mu, 3);
    expect(fitIterationsWork(sparse, 20, { beta: 1, solver: 'mu' }, 25)).toBeCloseTo(25 * mu, 3);
    // The final solve for H (up to 30 steps a batch) is part of every minibatch fit.
    expect(
      fitFixedWork(sparse, 20, minibatch) - fitFixedWork(sparse, 20, { beta: 1, solver: 'mu' }),
    ).toBeCloseTo(26 * mu, 3);
  });

  it('prices entries dearer once V outgrows the caches', () => {
    // Per stored entry at the same k: 64 MiB and more of V cost 1.45× what 8 MiB does, less the
    // per-row and per-column terms that do not grow with the entries.
    const perEntry = (cols: number): number => {
      const nnz = 200 * cols;
      return fitWorkPerIteration({ rows: 2000, cols, nnz, layout: 'csr' }, 10, { beta: 1 }) / nnz;
    };
    // 6 MB of V against 600 MB, at the same density.
    expect(perEntry(250_000) / perEntry(2500)).toBeGreaterThan(1.3);
    expect(perEntry(250_000) / perEntry(2500)).toBeLessThan(1.5);
  });

  it('adds a randomized SVD to an NNDSVD start and nothing to a random one', () => {
    const shape = denseShape(2000, 500);
    const random = fitFixedWork(shape, 8, { beta: 1, init: 'random' });
    expect(random).toBeGreaterThan(0);
    expect(fitFixedWork(shape, 8, { beta: 1 })).toBe(random);
    for (const init of ['nndsvd', 'nndsvda', 'nndsvdar'] as const)
      expect(fitFixedWork(shape, 8, { beta: 1, init })).toBeGreaterThan(random);
    expect(fitWork(shape, 8, { beta: 1, init: 'nndsvda' }, 100)).toBeCloseTo(
      100 * fitWorkPerIteration(shape, 8, { beta: 1 }) + fitFixedWork(shape, 8, { beta: 1, init: 'nndsvda' }),
      3,
    );
  });

  it('reads the β of stored parameters from their loss', () => {
    expect(costSettingsOf({ loss: 'is', beta: 1 })).toEqual({ beta: 0 });
    expect(costSettingsOf({ loss: 'frobenius', beta: 1, solver: 'als', init: 'nndsvda' })).toEqual({
      beta: 2,
      solver: 'als',
      init: 'nndsvda',
    });
    expect(costSettingsOf({ loss: 'beta', beta: 0.5 })).toEqual({ beta: 0.5 });
    expect(costSettingsOf({ loss: 'kl', beta: 0.5 })).toEqual({ beta: 1 });
  });

  it('names the family an estimate was priced as', () => {
    expect(costBasis(12.3e9, { beta: 0 })).toBe(
      "Itakura–Saito multiplicative updates priced by the engine's measured cost model, at the 12300 M multiply-adds/s a calibration fit reached on this machine",
    );
    expect(costBasis(1e9, { beta: 2 })).toMatch(/^Frobenius HALS priced/);
    expect(costBasis(1e9, { beta: 1, solver: 'minibatch' })).toMatch(/^KL minibatch passes priced/);
  });
});

describe('the calibration rate', () => {
  it('is measured once per context and kept', () => {
    const ctx = { calibration: { rate: null as number | null } };
    const rate = engineRate(ctx);
    expect(Number.isFinite(rate) && rate > 0).toBe(true);
    expect(ctx.calibration.rate).toBe(rate);
    ctx.calibration.rate = 123;
    expect(engineRate(ctx)).toBe(123);
  });
});

describe('the plan’s consensus rule', () => {
  it('weighs multiply-adds as it was set with, not the time estimate’s cost model', () => {
    // 3 replicates and 3 CV folds: the consensus fits add more than twice the rest in
    // multiply-adds, so the plan has none; priced by the cost model (masked fold fits dearer) they
    // would add 1.84× and the same settings would plan 20 more fits a rank than they always did.
    const shape = denseShape(2000, 500);
    const params = sweepParamsSchema.parse({
      fromRank: 7,
      toRank: 9,
      replicates: 3,
      cvFolds: 3,
      baseline: false,
    });
    expect(withConsensusReplicates(shape, params).consensusReplicates).toBe(0);
    const priced = (consensusReplicates: number): number => {
      const planned = withConsensusReplicates(shape, { ...params, consensusReplicates });
      return planSweep(sweepSpecOf(planned)).reduce(
        (sum, job) => sum + sweepJobWork(shape, job, planned.fit.maxIter),
        0,
      );
    };
    expect(priced(20) - priced(0)).toBeLessThan(2 * priced(0));
    // The rule's own example (sweeps.ts): 300 × 100, ranks 2..8, 4 replicates, 3 folds and the
    // baseline, where the consensus fits add 1.4× the rest.
    const affordable = sweepParamsSchema.parse({
      fromRank: 2,
      toRank: 8,
      replicates: 4,
      cvFolds: 3,
      baseline: true,
    });
    expect(withConsensusReplicates(denseShape(300, 100), affordable).consensusReplicates).toBe(20);
  });
});
