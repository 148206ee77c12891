/**
 * One timed fit of this project's engine, in its own process so its peak RSS is its own. Prints one
 * JSON line.
 *
 *   node --import tsx scripts/bench/ours.ts --dir DIR --set NAME --rank K --beta B \
 *       --solver mu|hals|minibatch --iters N [--batch-size B] [--backend auto|js|wasm|native] [--threads T]
 *
 * Same protocol as the peer drivers: start W0/H0 from DIR (init 'custom'), tol 0 so exactly N
 * iterations, and the loss evaluated only at the start and the end (checkEvery = N), as
 * scikit-learn does with tol = 0. The timed span is the fitNmf call (data scan, both losses and the
 * iterations); loading the files is outside it. `cpuSeconds` is the process's CPU time (user + system,
 * all threads) over the same span: on a shared machine the steadier figure. The Poisson log-likelihood that fitNmf adds after a
 * KL fit is turned off (`loglik: false`): the peers do not compute it, and at 20000 × 1000 it is a
 * third of a 20-iteration run.
 *
 * The native dense kernels (native/, `npm run build:native`) are loaded as the app's workers load
 * them; `--backend wasm` leaves them out, `--backend js` uses the scalar kernels only.
 *
 * `--threads T` (T ≥ 2) runs the fit with a kernel team of T threads, as the app does for a single
 * fit: V is read into a SharedArrayBuffer (the app's datasets live in one) and the helpers are
 * started, both outside the timed span (the app's worker keeps its team between fits). `threads`
 * in the output is T if the team split any kernel call, else 1 (small data).
 *
 * `--solver minibatch`: N passes over the data in batches of B samples (default 1024), without
 * early stopping (tol 0, maxNoImprovement null), on scikit-learn's schedule (`schedule: 'sklearn'`,
 * one H step per batch), as the scikit-learn driver runs MiniBatchNMF: the same work per pass.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dense } from '../../src/shared/linalg/matrix';
import { fitNmf } from '../../src/shared/nmf';
import { selectKernels, type KernelBackend } from '../../src/shared/nmf/kernels';
import { startKernelTeam, type KernelTeamHandle } from '../../src/main/workers/kernel-team';
import { installNativeKernels } from '../../src/main/native';
import { benchArgs, benchFitCase } from './args';
import { readSet, readStart } from './data';

const { get } = benchArgs();

const { dir, set, k, beta, solver } = benchFitCase(get);
const iters = Number(get('--iters'));
const batchSize = Number(get('--batch-size', '1024'));
installNativeKernels();
const backend = get('--backend', 'auto') as KernelBackend;
const threads = Number(get('--threads', '1'));

const V = readSet(dir, set, threads > 1).V;
const { W0, H0 } = readStart(dir, set, k);
let team: KernelTeamHandle | null = null;
if (threads > 1) {
  const helper = join(
    dirname(fileURLToPath(import.meta.url)),
    '../../src/main/workers/kernel-helper.worker.ts',
  );
  team = await startKernelTeam(threads, helper);
}
const kernels = selectKernels({ backend, threads, team });
const cpuBefore = process.cpuUsage();
const started = performance.now();
const fit = fitNmf(
  V,
  {
    rank: k,
    beta,
    solver,
    init: 'custom',
    W0: dense(V.rows, k, W0),
    H0: dense(k, V.cols, H0),
    maxIter: iters,
    tol: 0,
    checkEvery: iters,
    loglik: false,
    ...(solver === 'minibatch' ? { batchSize, maxNoImprovement: null, schedule: 'sklearn' as const } : {}),
  },
  { kernels },
);
const seconds = (performance.now() - started) / 1000;
// CPU of the whole process (every thread: the kernel team's helpers are worker threads of it).
const cpu = process.cpuUsage(cpuBefore);
const used = kernels.threadsUsed();
kernels.release();
await team?.close();
console.log(
  JSON.stringify({
    tool: 'ours',
    backend: kernels.backend,
    iterations: fit.iterations,
    seconds,
    secondsPerIter: seconds / fit.iterations,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    finalLoss: fit.loss,
    threads: used,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
