import { jacobiSweeps, orthonormalizeColumns } from '../../linalg/svd';
import type { NmfKernels } from './contract';
import { sequentialFused } from './fused';
import { betaH, betaW } from './scalar/beta';
import { cdSweep, maskedSums, maskedSweep } from './scalar/cd';
import { klNumHCsr, klNumHDense, klNumWCsr, klNumWDense } from './scalar/kl';
import { betaLossSumsOver, csrRowLosses, rowLossesOver, whRows } from './scalar/losses';
import { scanDense, scanDenseMissing } from './scalar/scan';
import {
  csrTimes,
  csrTransposeTimes,
  denseTimes,
  denseTransposeTimes,
  gram,
  timesSmall,
} from './scalar/products';

/**
 * The scalar reference kernels: plain JavaScript, the source of truth of every sum's order (see
 * ./contract.ts). The code lives in ./scalar/, one file per concern, with the names the
 * AssemblyScript and C++ sources use for the same loops. JavaScript engines do not vectorise, so the
 * inner loops are register-blocked (four components in locals): 2–3× faster than the naive order.
 */
export const scalarKernels: NmfKernels = {
  backend: 'js',
  threads: 1,
  threadsUsed: () => 1,
  denseTimes,
  denseTransposeTimes,
  csrTimes,
  csrTransposeTimes,
  gram,
  timesSmall,
  orthonormalizeColumns,
  jacobiSweeps,
  klNumWDense,
  klNumHDense,
  klNumWCsr,
  klNumHCsr,
  betaW,
  betaH,
  maskedSums,
  cdSweep,
  maskedSweep,
  whRows,
  rowLosses: rowLossesOver(whRows),
  betaLossSums: betaLossSumsOver(whRows),
  csrRowLosses,
  scanDense,
  scanDenseMissing,
  ...sequentialFused({ denseTimes, denseTransposeTimes, gram, cdSweep, klNumWDense, klNumHDense }),
  release: () => undefined,
};
