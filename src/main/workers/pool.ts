import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ProgressMessage, WorkerTask, WorkerTaskResult, WorkerToHost } from './protocol';

/** Thrown (as the job's rejection) when a job was cancelled. */
export class JobCancelledError extends Error {
  constructor(jobId: number) {
    super(`job ${jobId} cancelled`);
    this.name = 'JobCancelledError';
  }
}

/** A task failed inside the worker; carries the worker-side name and stack. */
export class JobFailedError extends Error {
  constructor(
    message: string,
    public readonly workerName: string,
    public readonly workerStack?: string,
  ) {
    super(message);
    this.name = 'JobFailedError';
  }
}

export interface JobHandle {
  readonly jobId: number;
  readonly promise: Promise<WorkerTaskResult>;
  /** Sets the shared flag the iteration loop reads; a queued job is dropped at once. */
  cancel(): void;
}

interface QueuedJob {
  jobId: number;
  task: WorkerTask;
  cancelFlag: Int32Array;
  onProgress?: (progress: ProgressMessage) => void;
  resolve: (result: WorkerTaskResult) => void;
  reject: (error: Error) => void;
  cancelled: boolean;
}

interface Slot {
  worker: Worker;
  job: QueuedJob | null;
}

export interface WorkerPoolOptions {
  /** Path of the built worker entry (`nmf.worker.js`), or of `nmf.worker.ts` when running from source. */
  workerPath: string;
  /** Threads; default: the machine's available parallelism. */
  size?: number;
  /** A job still running this long after cancel() has its worker terminated (the fallback). */
  terminateAfterMs?: number;
}

/**
 * A fixed pool of worker_threads running fits and sweep jobs off the main thread, first come first
 * served. A worker that crashes fails only its own job and is replaced.
 */
export class WorkerPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: QueuedJob[] = [];
  private nextJobId = 1;
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {
    this.size = Math.max(1, options.size ?? availableParallelism());
  }

  /** Jobs waiting for a thread. */
  get queued(): number {
    return this.queue.length;
  }

  /** Jobs running now. */
  get running(): number {
    return this.slots.filter((slot) => slot.job !== null).length;
  }

  /**
   * Queues a task; `ahead` puts it before the tasks already waiting (a short task that others
   * wait on, e.g. a sweep rank's statistics, which its live criteria wait for), not after them.
   */
  submit(
    task: WorkerTask,
    onProgress?: (progress: ProgressMessage) => void,
    { ahead = false }: { ahead?: boolean } = {},
  ): JobHandle {
    if (this.closed) throw new Error('the worker pool is closed');
    const jobId = this.nextJobId++;
    let job!: QueuedJob;
    const promise = new Promise<WorkerTaskResult>((resolve, reject) => {
      job = {
        jobId,
        task,
        cancelFlag: new Int32Array(new SharedArrayBuffer(4)),
        onProgress,
        resolve,
        reject,
        cancelled: false,
      };
    });
    if (ahead) this.queue.unshift(job);
    else this.queue.push(job);
    this.pump();
    return {
      jobId,
      promise,
      cancel: () => this.cancel(job),
    };
  }

  /**
   * Starts idle workers up to `count` (default: the pool's size) now rather than at the first job,
   * so that a thread's start-up (loading the engine, its native and WebAssembly kernels) overlaps
   * whatever the caller does before submitting (reading and storing a data file) instead of adding
   * to the first fit. Idle workers do not keep the process alive.
   */
  warm(count = this.size): void {
    if (this.closed) return;
    while (this.slots.length < Math.min(count, this.size)) this.spawn();
  }

  /** Cancels every job and stops the threads. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new JobCancelledError(job.jobId));
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.job) {
          slot.job.cancelled = true;
          slot.job.reject(new JobCancelledError(slot.job.jobId));
          slot.job = null;
        }
        await slot.worker.terminate();
      }),
    );
    this.slots.length = 0;
  }

  private cancel(job: QueuedJob): void {
    if (job.cancelled) return;
    job.cancelled = true;
    const queuedAt = this.queue.indexOf(job);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      job.reject(new JobCancelledError(job.jobId));
      return;
    }
    Atomics.store(job.cancelFlag, 0, 1);
    const slot = this.slots.find((s) => s.job === job);
    if (!slot) return;
    // Fallback: a worker that does not notice the flag (e.g. stuck in an initialisation) is terminated.
    const timer = setTimeout(() => {
      if (slot.job === job) {
        slot.job = null;
        job.reject(new JobCancelledError(job.jobId));
        void slot.worker.terminate();
      }
    }, this.options.terminateAfterMs ?? 5000);
    timer.unref();
  }

  private spawn(): Slot {
    const isSource = this.options.workerPath.endsWith('.ts');
    // Running from TypeScript sources (tests, development): a small bootstrap registers tsx first.
    const worker = isSource
      ? new Worker(new URL('./source-worker.mjs', import.meta.url), {
          workerData: { sourceEntry: pathToFileURL(this.options.workerPath).href },
        })
      : new Worker(this.options.workerPath);
    const slot: Slot = { worker, job: null };
    worker.on('message', (message: WorkerToHost) => this.onMessage(slot, message));
    worker.on('error', (error) => this.onCrash(slot, error));
    worker.on('exit', (code) => {
      if (slot.job) this.onCrash(slot, new Error(`worker thread exited with code ${code}`));
      else this.removeSlot(slot);
    });
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: Slot, message: WorkerToHost): void {
    const job = slot.job;
    if (!job || message.jobId !== job.jobId) return;
    if (message.type === 'progress') {
      if (!job.cancelled) job.onProgress?.(message);
      return;
    }
    slot.job = null;
    // An idle worker must not keep the process alive.
    slot.worker.unref();
    if (message.type === 'done') {
      if (job.cancelled) job.reject(new JobCancelledError(job.jobId));
      else job.resolve(message.result);
    } else if (message.error.name === 'FitCancelledError' || job.cancelled) {
      job.reject(new JobCancelledError(job.jobId));
    } else {
      job.reject(new JobFailedError(message.error.message, message.error.name, message.error.stack));
    }
    this.pump();
  }

  private onCrash(slot: Slot, error: Error): void {
    const job = slot.job;
    slot.job = null;
    this.removeSlot(slot);
    void slot.worker.terminate();
    if (job) {
      job.reject(
        job.cancelled
          ? new JobCancelledError(job.jobId)
          : new JobFailedError(`worker crashed: ${error.message}`, error.name, error.stack),
      );
    }
    this.pump();
  }

  private removeSlot(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({
        type: 'start',
        jobId: job.jobId,
        task: job.task,
        cancelFlag: job.cancelFlag,
      });
    }
  }
}
