import { dense } from '../../shared/linalg/matrix';
import { Rng } from '../../shared/linalg/random';
import { fitNmf } from '../../shared/nmf';
import { selectKernels } from '../../shared/nmf/kernels';

/** Rows, columns and rank of the warm-up data: small enough to cost a few milliseconds. */
const WARM_ROWS = 48;
const WARM_COLS = 24;
const WARM_RANK = 3;
/** Iterations of each warm-up fit: enough for the engine's hot loops to be compiled. */
const WARM_ITERATIONS = 40;

/**
 * Runs the engine's default paths once on a small made-up table, so that a worker's first real
 * fit does not pay for compiling them: V8 compiles a function when it has run, and without this
 * the first fit of a fresh worker ran its start, its loss passes and its first iterations in the
 * interpreter (a one-iteration job on digits took about three times as long as the third one).
 * The paths: NNDSVDa start (randomized SVD), HALS on the Frobenius loss and MU on the KL loss with
 * its log-likelihood, on the kernels a fit uses here (native where loaded) on one and two threads
 * (the second starts the native kernels' thread). The results are thrown away.
 * Returns the milliseconds it took.
 */
export function warmUpEngine(): number {
  const started = performance.now();
  const rng = new Rng(7);
  const data = new Float64Array(WARM_ROWS * WARM_COLS);
  for (let q = 0; q < data.length; q++) data[q] = Math.floor(rng.gamma(2) * 3);
  const V = dense(WARM_ROWS, WARM_COLS, data);
  for (const threads of [1, 2]) {
    for (const [beta, solver] of [
      [2, 'hals'],
      [1, 'mu'],
    ] as const) {
      fitNmf(
        V,
        { rank: WARM_RANK, beta, solver, init: 'nndsvda', maxIter: WARM_ITERATIONS, tol: 0, seed: 0 },
        { kernels: selectKernels({ threads, splitAlways: threads > 1 }) },
      );
    }
  }
  return performance.now() - started;
}
