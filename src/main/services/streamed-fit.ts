import { MemoryAccount } from '../../shared/nmf/batch-source';
import { fitStreamed } from '../../shared/nmf/streamed';
import type { FitHooks } from '../../shared/nmf/types';
import type { FitTaskResult, StreamedFitTask } from '../workers/protocol';
import { openSampleFile } from './sample-file';

/**
 * Runs one streamed minibatch fit (on a pool worker): V's batches read from the sample-major file,
 * the bytes the fit held counted in a MemoryAccount and returned with the result.
 */
export function runStreamedFit(task: StreamedFitTask, hooks: FitHooks): FitTaskResult {
  const memory = new MemoryAccount();
  const source = openSampleFile(task.file);
  try {
    const best = fitStreamed(source, task.options, task.checks, hooks, memory);
    return {
      kind: 'fit',
      best,
      bestSeed: task.options.seed ?? 0,
      replicateLosses: [best.loss],
      threads: 1,
      memory: { peakBytes: memory.peakBytes, items: memory.snapshot() },
    };
  } finally {
    source.close();
  }
}
