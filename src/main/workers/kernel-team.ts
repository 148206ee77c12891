import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { DataMatrix } from '../../shared/linalg/matrix';
import {
  TEAM_CONTROL_BYTES,
  kernelTeamWorthwhile,
  stopKernelTeam,
  type KernelTeam,
} from '../../shared/nmf/wasm';

/**
 * Starts and stops the helper threads of a kernel team (src/shared/nmf/wasm/team.ts), which lets one
 * fit use several cores. The thread whose fit computes with `selectKernels({ team })` must be
 * allowed to block (Node's main thread or a worker thread).
 */

/** A running team; `close()` stops its helpers. */
export interface KernelTeamHandle extends KernelTeam {
  close(): Promise<void>;
}

/** Pages of the shared memory's ceiling (2 GB): the engine keeps only O((m + n)·k) in it. */
const MAXIMUM_PAGES = 32768;

/** The helper entry beside this module's entry: the built `.js`, or the `.ts` source under tsx. */
export function defaultHelperEntry(base: string | URL): string {
  const name = String(base).endsWith('.ts') ? './kernel-helper.worker.ts' : './kernel-helper.worker.js';
  return fileURLToPath(new URL(name, base));
}

/**
 * Threads worth using for one fit here: at most `wanted`, at most the machine's parallelism, or at
 * most `NMF_STUDIO_CORES` where that is set to a positive integer (the tests set it so that a split
 * happens, and can fail, on a one-core runner too).
 */
export function kernelThreadsFor(wanted: number): number {
  const cores = Number(process.env.NMF_STUDIO_CORES);
  const limit = Number.isInteger(cores) && cores >= 1 ? cores : availableParallelism();
  return Math.max(1, Math.min(Math.floor(wanted), limit));
}

/**
 * Threads of the kernel team a fit of rank `rank` on `matrix` asked to use `wanted` threads should
 * have, or 1 for none: a team only where it would split calls (shared and large enough data,
 * `kernelTeamWorthwhile`), and none for dense data when the native kernels are loaded — every
 * dense call a team would split (products, KL numerators, sweeps) then runs on the native kernels'
 * own threads, and an idle team would only cost the first fit tens of milliseconds to start.
 */
export function kernelTeamSize(
  matrix: DataMatrix,
  rank: number,
  wanted: number,
  nativeLoaded: boolean,
): number {
  const threads = kernelThreadsFor(wanted);
  if (threads < 2 || !kernelTeamWorthwhile(matrix, rank)) return 1;
  if (matrix.kind === 'dense' && nativeLoaded) return 1;
  return threads;
}

/**
 * Starts `threads − 1` helpers (threads ≥ 2) running `helperEntry` (kernel-helper.worker.{js,ts};
 * a `.ts` entry is started through the tsx bootstrap, as the pool does in tests and development).
 * Resolves once every helper is serving. `thresholds` override the sizes below which calls stay on
 * one thread (tests).
 */
export async function startKernelTeam(
  threads: number,
  helperEntry: string,
  thresholds: { minDenseWork?: number; minSweepWork?: number; minCsrWork?: number } = {},
): Promise<KernelTeamHandle> {
  if (!Number.isInteger(threads) || threads < 2)
    throw new RangeError(`a kernel team needs ≥ 2 threads, got ${threads}`);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAXIMUM_PAGES, shared: true });
  const control = new SharedArrayBuffer(TEAM_CONTROL_BYTES);
  // Word 0: helpers serving so far; word 1 stays 0 (a helper's short sleep while data arrives).
  const ready = new SharedArrayBuffer(8);
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  const exits: Array<Promise<void>> = [];
  const failures: Error[] = [];
  const isSource = helperEntry.endsWith('.ts');
  for (let index = 1; index < threads; index++) {
    const { port1, port2 } = new MessageChannel();
    const workerData = { memory, control, threads, index, port: port2, ready };
    const worker = isSource
      ? new Worker(new URL('./source-worker.mjs', import.meta.url), {
          workerData: { ...workerData, sourceEntry: pathToFileURL(helperEntry).href },
          transferList: [port2],
        })
      : new Worker(helperEntry, { workerData, transferList: [port2] });
    exits.push(
      new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.once('error', (error) => {
          failures.push(error);
          resolve();
        });
      }),
    );
    // Idle helpers (asleep in Atomics.wait) must not keep the process alive.
    worker.unref();
    ports.push(port1);
    workers.push(worker);
  }
  const readyFlags = new Int32Array(ready);
  const started = Date.now();
  while (Atomics.load(readyFlags, 0) < threads - 1) {
    if (failures.length > 0 || Date.now() - started > 30_000) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw new Error(`kernel team did not start: ${failures[0]?.message ?? 'timed out'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  let closed = false;
  return {
    ...thresholds,
    threads,
    memory,
    control,
    share(arrays) {
      for (const port of ports) port.postMessage({ arrays });
    },
    async close() {
      if (closed) return;
      closed = true;
      stopKernelTeam(control);
      for (const port of ports) port.close();
      // Helpers return from their loop at once; terminate any that do not within a second.
      const timer = setTimeout(() => workers.forEach((worker) => void worker.terminate()), 1000);
      await Promise.all(exits);
      clearTimeout(timer);
    },
  };
}
