import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { serveKernelTeam, type TeamArray } from '../../shared/nmf/wasm';

/**
 * Entry of a kernel-team helper thread (see kernel-team.ts): serves kernel calls over the team's
 * shared memory until told to stop. The loop blocks this thread, so V arrives on a message port read
 * synchronously when the fit thread issues a `data` command, never through an event listener.
 */
interface HelperData {
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  threads: number;
  index: number;
  port: MessagePort;
  ready: SharedArrayBuffer;
}

const { memory, control, threads, index, port, ready } = workerData as HelperData;

function receive(): TeamArray[] {
  // The fit thread posts before it issues the command, and posting to a port in another thread is
  // synchronous, so the message is there; the retry only guards against a late delivery.
  for (let attempt = 0; ; attempt++) {
    const received = receiveMessageOnPort(port);
    if (received !== undefined) return (received.message as { arrays: TeamArray[] }).arrays;
    if (attempt > 1000) throw new Error('kernel team: no data arrived');
    Atomics.wait(new Int32Array(ready), 1, 0, 1);
  }
}

// Counted ready before serving: the starter waits for every helper, so no command precedes a loop.
const readyFlags = new Int32Array(ready);
Atomics.add(readyFlags, 0, 1);
Atomics.notify(readyFlags, 0);
serveKernelTeam(memory, control, threads, index, receive);
port.close();
