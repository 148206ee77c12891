import { parentPort } from 'node:worker_threads';
import { fitReplicates } from '../../shared/nmf';
import { FitCancelledError, type FitHooks } from '../../shared/nmf/types';
import { nativeKernelsLoaded, selectKernels } from '../../shared/nmf/kernels';
// From their own modules, not the analysis index: the index also brings PCA and with it ml-matrix,
// whose loading cost every worker 60–110 ms at start-up.
import { replicateStatistics, runSweepJob } from '../../shared/analysis/sweep';
import { ShuffledCopyCache } from './sweep-job-cache';
import { consensusComponents } from '../../shared/analysis/cnmf';
import { installNativeKernels } from '../native';
import { runStreamedFit } from '../services/streamed-fit';
import { warmUpEngine } from './warm-up';
import { fitResultTransfers } from './result-transfer';
import {
  defaultHelperEntry,
  kernelTeamSize,
  kernelThreadsFor,
  startKernelTeam,
  type KernelTeamHandle,
} from './kernel-team';
import {
  PROGRESS_INTERVAL_MS,
  type FitTask,
  type HostToWorker,
  type StartMessage,
  type WorkerTaskResult,
  type WorkerToHost,
} from './protocol';

/**
 * Worker entry: runs one task at a time for the pool. The numeric core sees only
 * `{ onProgress, isCancelled }`; this file turns them into messages and an Atomics read.
 */
const port = parentPort;
if (!port) throw new Error('nmf.worker must run in a worker thread');
// The native dense kernels where they are built; WebAssembly otherwise (same results).
installNativeKernels();
// Compile the engine's hot paths now, while the worker is idle (the pool starts workers ahead of
// their first job), rather than in the first fit. A job posted meanwhile waits in the port's queue.
warmUpEngine();

/** Posts `message`, handing over `transfer` (detached here) instead of copying it. */
function post(message: WorkerToHost, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/**
 * The kernel team of this worker, started by the first fit that asks for more than one thread and
 * kept for the next (starting threads costs tens of milliseconds); its idle helpers sleep.
 */
let team: KernelTeamHandle | null = null;

/** The shuffled copy of V this worker's baseline sweep jobs share (sweep-job-cache.ts). */
const shuffledCopies = new ShuffledCopyCache();

/** A team of `threads` for `task`, or null when one thread it is (small or not shared data). */
async function teamFor(task: FitTask): Promise<KernelTeamHandle | null> {
  const threads = kernelTeamSize(task.matrix, task.options.rank, task.threads ?? 1, nativeKernelsLoaded());
  if (threads < 2) return null;
  if (team !== null && team.threads !== threads) {
    await team.close();
    team = null;
  }
  try {
    team ??= await startKernelTeam(threads, defaultHelperEntry(import.meta.url));
  } catch {
    // No shared WebAssembly memory or no threads here: the fit runs on this thread alone.
    return null;
  }
  return team;
}

port.on('message', (message: HostToWorker) => {
  if (message.type !== 'start') return;
  void runTask(message);
});

async function runTask(message: StartMessage): Promise<void> {
  const { jobId, task, cancelFlag } = message;
  let lastPost = 0;
  const hooks: FitHooks = {
    isCancelled: () => Atomics.load(cancelFlag, 0) !== 0,
    onProgress: (progress) => {
      const now = Date.now();
      if (now - lastPost < PROGRESS_INTERVAL_MS && progress.iteration < progress.maxIter) return;
      lastPost = now;
      post({ type: 'progress', jobId, ...progress });
    },
  };
  try {
    let result: WorkerTaskResult;
    // Only sweep jobs read the kept shuffled copy; any other task lets it go.
    if (task.kind !== 'sweep-job' && task.kind !== 'sweep-statistics') shuffledCopies.clear();
    if (task.kind === 'fit') {
      let fit: ReturnType<typeof fitReplicates>;
      // Sweep jobs run many fits side by side on the pool already: those stay on one thread each.
      // This fit's kernels: the native ones (where loaded) on up to `threads` threads, the
      // WebAssembly ones split over the team where there is one; nothing else in the worker changes.
      const kernels = selectKernels({
        threads: kernelThreadsFor(task.threads ?? 1),
        team: await teamFor(task),
      });
      try {
        fit = fitReplicates(task.matrix, task.options, task.replicates, { ...hooks, kernels });
      } finally {
        // A kept team's helpers let go of this fit's V.
        kernels.release();
      }
      const threads = kernels.threadsUsed();
      const { best, replicates } = fit;
      const bestIndex = replicates.indexOf(best);
      result = {
        kind: 'fit',
        best,
        bestSeed: (task.options.seed ?? 0) + Math.max(0, bestIndex),
        replicateLosses: replicates.map((r) => r.loss),
        threads,
      };
    } else if (task.kind === 'streamed-fit') {
      result = runStreamedFit(task, hooks);
    } else if (task.kind === 'consensus-components') {
      result = { kind: 'consensus-components', result: consensusComponents(task.replicates, task.options) };
    } else if (task.kind === 'sweep-statistics') {
      result = { kind: 'sweep-statistics', ...replicateStatistics(task.matrix, task.job, task.W, task.H) };
    } else {
      result = {
        kind: 'sweep-job',
        result: runSweepJob(task.matrix, task.job, hooks, {
          shuffled: (V, seed) => shuffledCopies.get(task.matrixKey, V, seed),
          deferReplicateStatistics: task.deferReplicateStatistics === true,
        }),
      };
    }
    post({ type: 'done', jobId, result }, fitResultTransfers(result));
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    post({
      type: 'error',
      jobId,
      error: {
        name: err instanceof FitCancelledError ? 'FitCancelledError' : err.name,
        message: err.message,
        stack: err.stack,
      },
    });
  }
}
