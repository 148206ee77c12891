import { runPart } from './parts';
import { DONE, FAILED, member, Op, OP, PARAM_BYTE, SEQ, type OpCode, type TeamArray } from './protocol';

/** A helper thread's side of a kernel team: sleep, run part `index` of each call, count done. */

/**
 * Serves kernel calls of the team (as helper `index`, 1 ≤ index < threads) until it is stopped;
 * blocks the calling thread throughout. `receive` returns the arrays last sent with
 * `KernelTeam.share` (dense V; CSR V's indptr, indices, data and plan; or none) (synchronously: the host reads them off a message port).
 */
export function serveKernelTeam(
  memory: WebAssembly.Memory,
  control: SharedArrayBuffer,
  threads: number,
  index: number,
  receive: () => TeamArray[],
): void {
  const t = member(memory, control, threads);
  const { ctl } = t;
  // A team starts at sequence 0, and its helpers are started before any command.
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, SEQ, seen);
    const seq = Atomics.load(ctl, SEQ);
    if (seq === seen) continue;
    seen = seq;
    const op = Atomics.load(ctl, OP) as OpCode;
    if (op === Op.Stop) break;
    try {
      if (op === Op.Data) {
        const arrays = receive();
        t.V = arrays.length === 1 ? (arrays[0] as Float64Array) : null;
        t.csr =
          arrays.length === 4
            ? {
                indptr: arrays[0] as Int32Array,
                indices: arrays[1] as Int32Array,
                data: arrays[2] as Float64Array,
                plan: arrays[3] as Int32Array,
              }
            : null;
      } else runPart(t, op, index);
    } catch {
      Atomics.store(ctl, FAILED, 1);
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
  Atomics.add(ctl, DONE, 1);
  Atomics.notify(ctl, DONE);
}

/** Tells the helpers serving `control` to return from `serveKernelTeam`; does not wait for them. */
export function stopKernelTeam(control: SharedArrayBuffer): void {
  const ctl = new Int32Array(control, 0, PARAM_BYTE / 4);
  Atomics.store(ctl, OP, Op.Stop);
  Atomics.store(ctl, DONE, 0);
  Atomics.add(ctl, SEQ, 1);
  Atomics.notify(ctl, SEQ);
}
