import { describe, expect, it } from 'vitest';
import { fitNmf, type FitOptionsInput, type FitResult } from '../../../shared/nmf';
import { dense } from '../../../shared/linalg/matrix';
import { Rng } from '../../../shared/linalg/random';
import { randomCounts } from '../../../shared/nmf/__tests__/helpers';
import { selectKernels, type KernelBackend } from '../../../shared/nmf/kernels';
import { installNativeKernels } from '..';
import { nativeUnavailable, sameBits } from './helpers';

/**
 * Fits with a held factor (`FitOptions.fixed`) run the same kernels as full fits, so the native
 * kernels, at any thread count, give the bits of the JavaScript ones here too.
 */
const installed = installNativeKernels();
const unavailable = nativeUnavailable(installed);

function fitWith(backend: KernelBackend, threads: number, options: FitOptionsInput): FitResult {
  // Large enough (m·n·k ≥ 2¹⁷) for the native calls to split over threads.
  return fitNmf(randomCounts(220, 130, 31, 0.3, 0.01), options, {
    kernels: selectKernels({ backend, threads }),
  });
}

describe.skipIf(unavailable !== null)('one-sided fits on native kernels', () => {
  it('give the JavaScript bits at 1 and 3 threads, W or H held, for KL, Frobenius MU and HALS', () => {
    expect(installed.reason).toBeUndefined();
    const rng = new Rng(8);
    const W0 = dense(
      220,
      6,
      Float64Array.from({ length: 220 * 6 }, () => rng.gamma(1)),
    );
    const H0 = dense(
      6,
      130,
      Float64Array.from({ length: 6 * 130 }, () => rng.gamma(1)),
    );
    for (const solverOptions of [
      { beta: 1, solver: 'mu' as const },
      { beta: 2, solver: 'mu' as const },
      { beta: 2, solver: 'hals' as const },
    ]) {
      for (const fixed of ['W', 'H'] as const) {
        const options = { rank: 6, ...solverOptions, fixed, W0, H0, maxIter: 15, tol: 0 };
        const reference = fitWith('js', 1, options);
        for (const threads of [1, 3]) {
          const native = fitWith('native', threads, options);
          expect(sameBits(native.W.data, reference.W.data)).toBe(true);
          expect(sameBits(native.H.data, reference.H.data)).toBe(true);
          expect(native.loss).toBe(reference.loss);
        }
      }
    }
  });
});
