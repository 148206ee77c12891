import { parentPort } from 'node:worker_threads';
import { fitReplicates } from '../../shared/nmf';
import { FitCancelledError, type FitHooks } from '../../shared/nmf/types';
import { runSweepJob } from '../../shared/analysis';
import {
  PROGRESS_INTERVAL_MS,
  type HostToWorker,
  type WorkerTaskResult,
  type WorkerToHost,
} from './protocol';

/**
 * Worker entry: runs one task at a time for the pool. The numeric core sees only
 * `{ onProgress, isCancelled }`; this file turns them into messages and an Atomics read.
 */
const port = parentPort;
if (!port) throw new Error('nmf.worker must run in a worker thread');

function post(message: WorkerToHost): void {
  port!.postMessage(message);
}

port.on('message', (message: HostToWorker) => {
  if (message.type !== 'start') return;
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
    if (task.kind === 'fit') {
      const { best, replicates } = fitReplicates(task.matrix, task.options, task.replicates, hooks);
      const bestIndex = replicates.indexOf(best);
      result = {
        kind: 'fit',
        best,
        bestSeed: (task.options.seed ?? 0) + Math.max(0, bestIndex),
        replicateLosses: replicates.map((r) => r.loss),
      };
    } else {
      result = { kind: 'sweep-job', result: runSweepJob(task.matrix, task.job, hooks) };
    }
    post({ type: 'done', jobId, result });
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
});
