import type { WorkerTaskResult } from './protocol';

/**
 * The buffers a worker hands over with a fit's result instead of copying them: W's and H's. A
 * posted result is otherwise cloned, and the worker's own W and H then stay until its next
 * garbage collection, which an idle worker may not run for a long time: at 10⁶ samples and k = 20
 * that kept a second H (160 MB) in the process beside the main thread's while the run was stored.
 * Only plain ArrayBuffers that the array covers whole are handed over (a SharedArrayBuffer cannot
 * be, and a view of a larger buffer would take the rest with it); the worker does not read a fit's
 * result after posting it.
 */
export function fitResultTransfers(result: WorkerTaskResult): ArrayBuffer[] {
  if (result.kind !== 'fit') return [];
  const buffers: ArrayBuffer[] = [];
  for (const array of [result.best.W.data, result.best.H.data]) {
    const { buffer } = array;
    if (!(buffer instanceof ArrayBuffer)) continue;
    if (array.byteOffset !== 0 || array.byteLength !== buffer.byteLength) continue;
    if (!buffers.includes(buffer)) buffers.push(buffer);
  }
  return buffers;
}
