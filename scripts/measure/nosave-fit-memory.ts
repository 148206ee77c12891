/**
 * Peak memory of `nmf-studio fit FILE --no-save …` as a user runs it: the built command line in a
 * child process (the file read, stored in the command's own library, fitted, the run folder
 * written), watched from outside. The sibling of stored-fit-memory.ts, which measures the fit of a
 * dataset already in a library inside its own process.
 *
 * The child's resident set and high-water mark (VmRSS, VmHWM in /proc/<pid>/status, Linux) are
 * read every 50 ms, each labelled with the last progress line the command printed (`--progress`),
 * so a rise is placed in the import or the fit; VmHWM is the peak of the whole process (main
 * thread, pool worker, kernel team). The last reading before the process ends is its peak (the
 * exit only frees). Also listed: what the command left in the temporary folder it was given
 * (TMPDIR, a new folder per measure), which must be nothing but the empty staging root.
 * Prints one JSON line at the end: the peak, the exit, what was left behind and, given V's shape
 * (`--rows --cols --nnz`, as `synth` printed them: the file is read by the child only), V's CSR
 * size (12 bytes an entry + 4 a row), the factors' (Float64) and the issue's target 1.5 × V +
 * factors.
 *
 *   npx electron-vite build
 *   node --import tsx scripts/measure/nosave-fit-memory.ts --matrix cells.h5ad --out DIR
 *        [--bin bin/nmf-studio.js] [--rank 20] [--loss kl] [--solver minibatch] [--max-iter 2]
 *        [--rows 2000 --cols 1000000 --nnz 218345688]
 *
 * `--bin` runs another build (an earlier one copied aside) for a before/after comparison.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    matrix: { type: 'string' },
    out: { type: 'string' },
    bin: { type: 'string', default: 'bin/nmf-studio.js' },
    rank: { type: 'string', default: '20' },
    loss: { type: 'string', default: 'kl' },
    solver: { type: 'string', default: 'minibatch' },
    'max-iter': { type: 'string', default: '2' },
    rows: { type: 'string' },
    cols: { type: 'string' },
    nnz: { type: 'string' },
  },
});
if (values.matrix === undefined || values.out === undefined)
  throw new Error('--matrix FILE and --out DIR are required');
const MB = 1e6;

/**
 * The child's resident set now, its high-water mark and the resident set's parts (anonymous
 * memory, mapped files, shared memory; kB → bytes), or null once it has ended.
 */
function residentSet(
  pid: number,
): { peak: number; now: number; anon: number; file: number; shmem: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): number => {
    const match = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status);
    // A process being reaped has no memory fields left.
    return match === null ? 0 : Number(match[1]) * 1024;
  };
  return {
    peak: field('VmHWM'),
    now: field('VmRSS'),
    anon: field('RssAnon'),
    file: field('RssFile'),
    shmem: field('RssShmem'),
  };
}

/** Every file under `dir` (folders themselves are not listed), as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path, `${prefix}${entry}/`));
    else found.push(`${prefix}${entry}`);
  }
  return found;
}

const temp = mkdtempSync(join(tmpdir(), 'nmf-nosave-measure-'));
const args = [
  resolve(values.bin),
  'fit',
  values.matrix,
  ...['--rank', values.rank, '--loss', values.loss, '--solver', values.solver],
  ...['--max-iter', values['max-iter'], '--no-save', '--progress', '--out', values.out],
];
const started = Date.now();
// NMF_STUDIO_DB points into the measure's folder: --no-save must not create it.
const library = join(temp, 'not-created.sqlite');
const child = spawn(process.execPath, args, {
  env: { ...process.env, TMPDIR: temp, NMF_STUDIO_DB: library },
  stdio: ['ignore', 'inherit', 'pipe'],
});
let label = 'start';
let peak = 0;
const timeline: {
  seconds: number;
  rssMB: number;
  anonMB: number;
  fileMB: number;
  shmemMB: number;
  label: string;
}[] = [];
child.stderr.setEncoding('utf8');
child.stderr.on('data', (text: string) => {
  process.stderr.write(text);
  const lines = text.trim().split('\n');
  label = lines[lines.length - 1].replace(/, [\d.]+ s elapsed.*$/, '');
});
const sampler = setInterval(() => {
  const sample = child.pid === undefined ? null : residentSet(child.pid);
  if (sample === null) return;
  peak = Math.max(peak, sample.peak);
  const rssMB = Math.round(sample.now / MB);
  const last = timeline[timeline.length - 1];
  if (last === undefined || Math.abs(last.rssMB - rssMB) >= 20 || last.label !== label)
    timeline.push({
      seconds: (Date.now() - started) / 1000,
      rssMB,
      anonMB: Math.round(sample.anon / MB),
      fileMB: Math.round(sample.file / MB),
      shmemMB: Math.round(sample.shmem / MB),
      label,
    });
}, 50);
const exit = await new Promise<{ code: number | null; signal: string | null }>((done) =>
  child.on('exit', (code, signal) => done({ code, signal })),
);
clearInterval(sampler);
for (const point of timeline) process.stderr.write(JSON.stringify(point) + '\n');
const leftBehind = filesUnder(temp);
rmSync(temp, { recursive: true, force: true });
const figures: Record<string, unknown> = {
  command: `nmf-studio ${args.slice(1).join(' ')}`,
  exit,
  seconds: (Date.now() - started) / 1000,
  leftBehind,
  libraryCreated: leftBehind.includes('not-created.sqlite'),
  peakMB: Math.round(peak / MB),
};
if (values.rows !== undefined && values.cols !== undefined && values.nnz !== undefined) {
  const [rows, cols, nnz, k] = [values.rows, values.cols, values.nnz, values.rank].map(Number);
  const csrBytes = 12 * nnz + 4 * (rows + 1);
  const factorBytes = 8 * (rows * k + k * cols);
  Object.assign(figures, {
    csrMB: Math.round(csrBytes / MB),
    factorsMB: Math.round(factorBytes / MB),
    targetMB: Math.round((1.5 * csrBytes + factorBytes) / MB),
    peakOverV: +(peak / csrBytes).toFixed(2),
    peakOverTarget: +(peak / (1.5 * csrBytes + factorBytes)).toFixed(2),
  });
}
console.log(JSON.stringify(figures));
