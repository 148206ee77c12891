import { fitNmf } from '../../shared/nmf';
import { dense } from '../../shared/linalg/matrix';
import { Rng } from '../../shared/linalg/random';
import { installNativeKernels } from '../native';
import type { ServiceContext } from './context';
import { CALIBRATION_SHAPE, fitWork } from './fit-cost';

/** Iterations of each calibration fit. */
const CALIBRATION_ITERATIONS = 30;
/** Timed fits; their median is kept (see `engineRate`). */
const ROUNDS = 3;

/**
 * Multiply-adds per second this machine achieves in the engine's KL multiplicative update: the
 * calibration fit (dense 400 × 200 random counts, k = 8, 30 iterations from a random start; what
 * fit-cost.ts prices every other fit against) timed three times after one untimed fit, the median
 * kept (the cost model was fitted to medians; the fastest of three made the runs' estimates about
 * 0.7× of their time), and divided into the work the cost model gives that whole fit (its
 * iterations and its start and loss passes).
 *
 * Why warm and whole: a single cold fit, as this was measured before, includes the first call's
 * compilation. In one process that gave 2.75·10⁹ for the first call and 11.8–12.5·10⁹ for the next
 * five, so every estimate was about 4× too high, while fits in the pool's workers run warm. Timing
 * the per-iteration difference of a short and a long fit instead was tried and not kept: fits still
 * warming up made the difference too small (one process measured 10¹¹). About 40–150 ms here.
 *
 * With a context the figure is measured once and kept in it (re-measured only after a restart);
 * without one (a command that estimates once) it is measured on each call.
 */
export function engineRate(ctx?: Pick<ServiceContext, 'calibration'>): number {
  if (ctx && ctx.calibration.rate !== null) return ctx.calibration.rate;
  // Time the kernels the pool's workers will use (they load the native ones where built).
  installNativeKernels();
  const { rows, cols, rank } = CALIBRATION_SHAPE;
  const rng = new Rng(12345);
  const V = dense(rows, cols);
  for (let i = 0; i < V.data.length; i++) V.data[i] = rng.poisson(20);
  const fit = (): number => {
    const started = performance.now();
    fitNmf(V, { rank, beta: 1, maxIter: CALIBRATION_ITERATIONS, tol: 0, init: 'random', seed: 1 });
    return (performance.now() - started) / 1000;
  };
  fit();
  const seconds = Array.from({ length: ROUNDS }, fit).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
  const work = fitWork(
    { rows, cols, nnz: rows * cols, layout: 'dense' },
    rank,
    { beta: 1, solver: 'mu', init: 'random' },
    CALIBRATION_ITERATIONS,
  );
  const rate = work / Math.max(1e-6, seconds);
  if (ctx) ctx.calibration.rate = rate;
  return rate;
}
