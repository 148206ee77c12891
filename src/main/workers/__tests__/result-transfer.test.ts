import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { dense } from '../../../shared/linalg/matrix';
import { fitNmf } from '../../../shared/nmf';
import type { FitTaskResult, WorkerTaskResult } from '../protocol';
import { fitResultTransfers } from '../result-transfer';

/** A fit's result as the worker posts it, from a small fit. */
function fitResult(): FitTaskResult {
  const V = dense(
    6,
    5,
    Float64Array.from({ length: 30 }, (_, q) => 1 + ((q * 7) % 11)),
  );
  const best = fitNmf(V, { rank: 2, maxIter: 20, seed: 1 });
  return { kind: 'fit', best, bestSeed: 1, replicateLosses: [best.loss] };
}

describe('fitResultTransfers', () => {
  it('hands over W and H: the receiver gets the same values and the sender keeps none', () => {
    const result = fitResult();
    const W = Float64Array.from(result.best.W.data);
    const H = Float64Array.from(result.best.H.data);
    const transfers = fitResultTransfers(result);
    expect(transfers).toEqual([result.best.W.data.buffer, result.best.H.data.buffer]);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(result, transfers);
    const received = receiveMessageOnPort(port2)?.message as FitTaskResult;
    port1.close();
    expect(received.best.W.data).toEqual(W);
    expect(received.best.H.data).toEqual(H);
    // Detached here: the worker no longer holds a copy of the factors.
    expect(result.best.W.data.length).toBe(0);
    expect(result.best.H.data.length).toBe(0);
  });

  it('leaves shared buffers, views of larger buffers and other results to be copied', () => {
    const result = fitResult();
    const { W, H } = result.best;
    const shared = new Float64Array(new SharedArrayBuffer(W.data.byteLength));
    shared.set(W.data);
    const wider = new Float64Array(H.data.length + 3);
    wider.set(H.data, 3);
    result.best.W = dense(W.rows, W.cols, shared);
    result.best.H = dense(H.rows, H.cols, wider.subarray(3));
    expect(fitResultTransfers(result)).toEqual([]);
    const other = { kind: 'consensus-components' } as unknown as WorkerTaskResult;
    expect(fitResultTransfers(other)).toEqual([]);
  });
});
