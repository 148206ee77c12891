/**
 * The app's path for small fits: four one-iteration HALS jobs (digits, k = 10, NNDSVDa start) in a
 * row through a fresh one-thread worker pool running the built worker (out/main/nmf.worker.js,
 * `npx electron-vite build` first), the first one including the worker's start-up. Prints per
 * job the process's CPU milliseconds (every thread), the job's wall milliseconds and the fit's own
 * `seconds` as the worker measured it.
 *
 *   node --import tsx scripts/bench/first-job.ts --dir DIR [--root REPO] [--prewarm]
 *
 * `--prewarm`: the pool starts its worker first and the jobs come 3 s later, as in the app (which
 * starts a worker at launch) and the CLI (which starts them while it reads the matrix).
 *
 * DIR holds the set `digits` written by scripts/bench/data.ts; REPO (default: this repository)
 * is where out/ is, so an older build can be timed with this script.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkerPool } from '../../src/main/workers/pool';
import { benchArgs } from './args';
import { readSet } from './data';

const { get, has } = benchArgs();
const root = get('--root', resolve(dirname(fileURLToPath(import.meta.url)), '../..'));
const { V } = readSet(get('--dir'), 'digits', true);
const options = {
  rank: 10,
  beta: 2,
  solver: 'hals' as const,
  init: 'nndsvda' as const,
  seed: 0,
  maxIter: 1,
  tol: 0,
};
const pool = new WorkerPool({ workerPath: join(root, 'out/main/nmf.worker.js'), size: 1 });
const cpuMs = (): number => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
if (has('--prewarm')) {
  pool.warm(1);
  await new Promise((done) => setTimeout(done, 3000));
}
let cpu = cpuMs();
let wall = performance.now();
const lines: string[] = [];
for (let job = 1; job <= 4; job++) {
  const result = await pool.submit({ kind: 'fit', matrix: V, options, replicates: 1, threads: 1 }).promise;
  const cpuNow = cpuMs();
  const wallNow = performance.now();
  const fitMs = result.kind === 'fit' ? (result.best.seconds * 1000).toFixed(1) : '?';
  lines.push(
    `job ${job}: cpu ${(cpuNow - cpu).toFixed(0)} ms, wall ${(wallNow - wall).toFixed(0)} ms, fit ${fitMs} ms`,
  );
  cpu = cpuNow;
  wall = wallNow;
}
console.log(lines.join(' | '));
await pool.close();
