import { fitNmf } from '../../shared/nmf';
import { dense } from '../../shared/linalg/matrix';
import { Rng } from '../../shared/linalg/random';
import { installNativeKernels } from '../native';
import type { ServiceContext } from './context';

/**
 * Multiply-adds per second this machine achieves in the engine's KL multiplicative update, from a
 * short fit timed (about 50 ms) on a 400 × 200, k = 8 random count matrix. Used by run estimates.
 * With a context the figure is measured once and kept in it (re-measured only after a restart);
 * without one (a command that estimates once) it is measured on each call.
 */
export function engineRate(ctx?: Pick<ServiceContext, 'calibration'>): number {
  if (ctx && ctx.calibration.rate !== null) return ctx.calibration.rate;
  // Time the kernels the pool's workers will use (they load the native ones where built).
  installNativeKernels();
  const m = 400;
  const n = 200;
  const k = 8;
  const iterations = 20;
  const rng = new Rng(12345);
  const V = dense(m, n);
  for (let i = 0; i < V.data.length; i++) V.data[i] = rng.poisson(20);
  const started = performance.now();
  fitNmf(V, { rank: k, beta: 1, maxIter: iterations, tol: 0, init: 'random', seed: 1 });
  const seconds = Math.max(1e-3, (performance.now() - started) / 1000);
  const rate = (iterations * 4 * m * n * k) / seconds;
  if (ctx) ctx.calibration.rate = rate;
  return rate;
}
