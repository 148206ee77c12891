/**
 * What the native CSR handle holds between calls: a default KL fit's phases on a CSR bench set
 * run one by one in this process (the NNDSVDa start, whose randomized SVD multiplies V by l = k + 10
 * columns through the handle, then MU iterations), with the resident set read after each phase once
 * the JavaScript heap has been collected, so what is left beyond V, the factors and the workspace
 * is the native scratch. Not a test: it prints figures (MB).
 *
 *   node --expose-gc --import tsx scripts/bench/handle-scratch-rss.ts --dir DIR --set NAME --rank K
 *       [--module PATH/nmf_kernels.node] [--iters 5]
 */
import { createRequire } from 'node:module';
import { benchArgs } from './args';
import { installNativeKernels } from '../../src/main/native';
import { registerNativeKernels, selectKernels, type NativeKernelModule } from '../../src/shared/nmf/kernels';
import { prepareData } from '../../src/shared/nmf/data';
import { initializePrepared } from '../../src/shared/nmf/init';
import { fitPrepared } from '../../src/shared/nmf/fit';
import { resolveWith } from '../../src/shared/nmf/options';
import { readSet } from './data';

const { get } = benchArgs();
const dir = get('--dir');
const set = get('--set');
const k = Number(get('--rank'));
const iters = Number(get('--iters', '5'));
const modulePath = get('--module', '');
if (modulePath !== '')
  registerNativeKernels(createRequire(import.meta.url)(modulePath) as NativeKernelModule);
else installNativeKernels();
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error('run with node --expose-gc');

const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
function resident(label: string): void {
  collect!();
  collect!();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  console.log(
    JSON.stringify({
      phase: label,
      rssMB: mb(rss),
      heapMB: mb(heapUsed),
      externalMB: mb(external),
      arrayBuffersMB: mb(arrayBuffers),
    }),
  );
}

const { V } = readSet(dir, set);
resident('V read');
const kernels = selectKernels();
const data = prepareData(V, kernels);
resident('prepared');
const start = initializePrepared(data, k, 'nndsvda', 0, kernels);
resident('after the NNDSVDa start');
const options = resolveWith(
  {
    rank: k,
    beta: 1,
    solver: 'mu',
    init: 'custom',
    W0: start.W,
    H0: start.H,
    maxIter: iters,
    tol: 0,
    warmup: 0,
  },
  data,
);
const fit = fitPrepared(data, options, { kernels });
resident(`after ${fit.iterations} KL iterations`);
kernels.release();
