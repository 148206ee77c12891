#!/usr/bin/env node
// `npm run bench`: this project's NMF engine next to scikit-learn and R's NMF package, on the same
// data, the same start (W0, H0), rank, loss and iteration count. Not a test: it prints figures.
//
//   node scripts/bench.js                 every case (about 10 minutes on 2 cores)
//   node scripts/bench.js --quick         a ~1 minute subset with fewer iterations
//   node scripts/bench.js --case NAME     one case (repeatable, or NAME,NAME); --list shows them
//   node scripts/bench.js --keep          keep the temporary data directory
//   node scripts/bench.js --million       also the 10⁶-cell minibatch cases (cells1m: 2000 genes × 10⁶
//                                         cells, 2.2 × 10⁸ non-zeros, a 2.5 GiB CSR; 2.7 GiB of memory
//                                         while the data are generated (cells drawn twice, see
//                                         sampleCellMatrix; 150 s of CPU), each tool's fit holds its
//                                         own copy; an hour or more on 2 cores; never by default.
//                                         scikit-learn's MiniBatchNMF holds 6.2 GB there, timed
//                                         without its closing reconstruction_err_ (15 GB with it);
//                                         its NMF(mu) on the same CSR builds the same per-non-zero
//                                         temporaries every iteration: -kl-mu was not run at 10⁶)
//   node scripts/bench.js --million-passes N   passes over the data for the 10⁶-cell cases (default
//                                         3; 1 is a partial comparison: same data, start, batches and
//                                         forget factor, fewer passes, for every tool alike)
//   node scripts/bench.js --sklearn-malloc default|tuned|both   which scikit-learn runs (below) to
//                                         make (default both; one halves its time at 10⁶ cells)
//   node scripts/bench.js --data-dir DIR  write the data sets and starts to DIR and keep them; sets
//                                         and starts already there are read, not generated again
//                                         (the 10⁶-cell set takes minutes to generate)
//   node scripts/bench.js --no-js         skip the run of our scalar (non-WebAssembly) kernels
//   node scripts/bench.js --no-wasm       skip the run of our WebAssembly kernels (made, with the most
//                                         threads, when the default run used the native kernels)
//   node scripts/bench.js --reps N        run every fit N times and keep each tool's fastest (default
//                                         1; the machine is shared, so 2–3 steadies the ratios)
//   node scripts/bench.js --solution      only the time-to-solution comparison (scripts/bench-solution.js:
//                                         each tool from its default start to its stopping rule, and
//                                         ours to RcppML's loss; part of every full run)
//   node scripts/bench.js --threads 1,2   thread counts for our WebAssembly run (default: 1 and, on a
//                                         machine with more cores, 2, as a single fit in the app uses);
//                                         the ratios compare our run with the most threads
//
// Every fit runs in its own child process so its peak RSS is its own:
//   ours     node --import tsx scripts/bench/ours.ts (the TypeScript sources through tsx, so no
//            build is needed; the WebAssembly kernels come from src/shared/nmf/wasm/build, which
//            scripts/build-wasm.js writes and this script runs first if it is missing, and the
//            native dense kernels from native/build, which scripts/build-native.js brings up to date);
//   sklearn  /usr/bin/python3 scripts/bench/peer_sklearn.py (Debian's python3-sklearn), twice:
//            with glibc's default allocator and with MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_
//            raised, which keeps sklearn's per-iteration m × n temporaries mapped (on VMs where
//            page faults are expensive that is several times faster); ratios use the faster run;
//   R        Rscript scripts/bench/peer_r.R (r-cran-nmf; brunet = KL, lee = Frobenius MU).
// A peer that is not installed is skipped with a message. Data come from our own generators
// (scripts/bench/data.ts) and, for digits, a copy of scikit-learn's load_digits in
// scripts/bench/fixtures.
// Timings are wall clock around the fit call of each tool, in ms per iteration, and the CPU time
// (user + system, all threads) of the same span; the machine's load affects every tool, so compare
// within one run. On a shared machine the CPU time is the steadier figure; the 1-minute load
// average before and after each fit is printed with it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as solutionBench } from './bench-solution.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'scripts/bench');
const PYTHON = '/usr/bin/python3';
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '4294967296', MALLOC_TRIM_THRESHOLD_: '4294967296' };

/**
 * Cases. `ours`: solver; `sklearn`: its solver; `r`: the R method (omitted where R has none, or
 * where the dense copy R needs is impractical). `quick`: iterations in --quick mode (absent: not in
 * the quick subset). `target`: the ratio ours/peer we aim for (the issue's goals).
 */
const CASES = [
  {
    name: 'planted-2000x500-k8-kl-mu',
    set: 'planted2000',
    k: 8,
    beta: 1,
    ours: 'mu',
    sklearn: 'mu',
    r: 'brunet',
    iters: 200,
    quick: 50,
    target: { sklearn: 0.5, r: 0.5 },
  },
  {
    name: 'planted-2000x500-k8-fro-hals',
    set: 'planted2000',
    k: 8,
    beta: 2,
    ours: 'hals',
    sklearn: 'cd',
    iters: 200,
    quick: 50,
    target: { sklearn: 1 },
  },
  {
    name: 'planted-2000x500-k8-fro-mu',
    set: 'planted2000',
    k: 8,
    beta: 2,
    ours: 'mu',
    sklearn: 'mu',
    r: 'lee',
    iters: 200,
  },
  {
    name: 'planted-20000x1000-k10-kl-mu',
    set: 'planted20000',
    k: 10,
    beta: 1,
    ours: 'mu',
    sklearn: 'mu',
    r: 'brunet',
    iters: 20,
    target: { sklearn: 0.5, r: 0.5 },
  },
  {
    name: 'planted-20000x1000-k10-fro-hals',
    set: 'planted20000',
    k: 10,
    beta: 2,
    ours: 'hals',
    sklearn: 'cd',
    iters: 20,
    target: { sklearn: 1 },
  },
  {
    name: 'digits-k10-fro-hals',
    set: 'digits',
    k: 10,
    beta: 2,
    ours: 'hals',
    sklearn: 'cd',
    iters: 200,
    quick: 100,
    target: { sklearn: 1 },
  },
  {
    name: 'digits-k10-fro-mu',
    set: 'digits',
    k: 10,
    beta: 2,
    ours: 'mu',
    sklearn: 'mu',
    r: 'lee',
    iters: 200,
  },
  {
    name: 'sparse-2000x20000-k10-kl-mu',
    set: 'sparse',
    k: 10,
    beta: 1,
    ours: 'mu',
    sklearn: 'mu',
    iters: 20,
    target: { sklearn: 0.1 },
  },
  // Single-cell-sized data (planted cell modules, `synth --cells`): online MU against scikit-learn's
  // MiniBatchNMF (same start, batches in the same fixed order, same passes; ms/iter is per pass),
  // and full-batch MU against its NMF for as many iterations as passes, to compare the losses.
  {
    name: 'cells-2000x1e5-k20-kl-minibatch',
    set: 'cells100k',
    k: 20,
    beta: 1,
    ours: 'minibatch',
    sklearn: 'minibatch',
    batch: 1024,
    iters: 5,
    target: { sklearn: 0.5 },
  },
  {
    name: 'cells-2000x1e5-k20-kl-mu',
    set: 'cells100k',
    k: 20,
    beta: 1,
    ours: 'mu',
    sklearn: 'mu',
    iters: 5,
  },
  {
    name: 'cells-2000x1e6-k20-kl-minibatch',
    set: 'cells1m',
    k: 20,
    beta: 1,
    ours: 'minibatch',
    sklearn: 'minibatch',
    batch: 1024,
    iters: 3,
    million: true,
    target: { sklearn: 0.5 },
  },
  {
    name: 'cells-2000x1e6-k20-kl-mu',
    set: 'cells1m',
    k: 20,
    beta: 1,
    ours: 'mu',
    sklearn: 'mu',
    iters: 3,
    million: true,
  },
];

/** @param {string[]} argv */
function parseArgs(argv) {
  const out = {
    quick: false,
    keep: false,
    million: false,
    js: true,
    wasm: true,
    list: false,
    reps: 1,
    /** @type {number | null} */
    millionPasses: null,
    /** @type {'default' | 'tuned' | 'both'} */
    sklearnMalloc: 'both',
    /** @type {string | null} */
    dataDir: null,
    cases: /** @type {string[]} */ ([]),
    threads: availableParallelism() >= 2 ? [1, 2] : [1],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') out.quick = true;
    else if (a === '--keep') out.keep = true;
    else if (a === '--million') out.million = true;
    else if (a === '--no-js') out.js = false;
    else if (a === '--no-wasm') out.wasm = false;
    else if (a === '--reps') out.reps = Math.max(1, Number(argv[++i]) || 1);
    else if (a === '--list') out.list = true;
    else if (a === '--million-passes') {
      out.millionPasses = Number(argv[++i]);
      if (!Number.isInteger(out.millionPasses) || out.millionPasses < 1)
        throw new Error('--million-passes takes a number of passes ≥ 1');
    } else if (a === '--sklearn-malloc') {
      const which = String(argv[++i]);
      if (which !== 'default' && which !== 'tuned' && which !== 'both')
        throw new Error(`--sklearn-malloc takes default, tuned or both, not ${which}`);
      out.sklearnMalloc = which;
    } else if (a === '--data-dir') out.dataDir = resolve(String(argv[++i]));
    else if (a === '--case') out.cases.push(...String(argv[++i] ?? '').split(','));
    else if (a === '--threads') {
      out.threads = String(argv[++i] ?? '')
        .split(',')
        .map(Number);
      if (out.threads.some((t) => !Number.isInteger(t) || t < 1))
        throw new Error('--threads takes thread counts ≥ 1, e.g. 1,2');
    } else throw new Error(`unknown option ${a}`);
  }
  return out;
}

/**
 * What a child process printed, or why it failed, with the 1-minute load average before and after.
 * @typedef {({ ok: true, stdout: string } | { ok: false, error: string }) & { load: [number, number] }} ChildOutput
 */

/**
 * @param {string} command
 * @param {string[]} args
 * @param {Record<string, string>} [env]
 * @returns {ChildOutput}
 */
function run(command, args, env = {}) {
  const loadBefore = loadavg()[0];
  const result = spawnSync(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  /** @type {[number, number]} */
  const load = [loadBefore, loadavg()[0]];
  if (result.error) return { ok: false, error: result.error.message, load };
  if (result.status !== 0) {
    const said = (result.stderr || result.stdout || '').trim().split('\n').slice(-3).join(' | ');
    // A child stopped by a signal (killed, out of memory) may print nothing: still an error.
    const how = result.signal !== null ? `stopped by ${result.signal}` : `exit status ${result.status}`;
    return { ok: false, error: said === '' ? how : `${said} (${how})`, load };
  }
  return { ok: true, stdout: result.stdout, load };
}

/**
 * The last JSON line a fit's child process prints (scripts/bench/ours.ts, peer_sklearn.py, peer_r.R),
 * or the error that kept it from printing one.
 * @typedef {{ error?: string, secondsPerIter: number, finalLoss: number, iterations?: number,
 *   threads?: number, peakRssMb?: number, backend?: string, cpuSeconds?: number,
 *   load?: [number, number] }} FitReport
 */

/**
 * The fastest of `reps` runs of a fit (an error only if every run failed).
 * @param {number} reps at least 1
 * @param {() => FitReport} once
 * @returns {FitReport}
 */
function fastest(reps, once) {
  /** @type {FitReport | null} */
  let best = null;
  for (let r = 0; r < reps; r++) {
    const x = once();
    if (best === null || (best.error && !x.error) || (!x.error && x.secondsPerIter < best.secondsPerIter))
      best = x;
  }
  return /** @type {FitReport} */ (best);
}

/**
 * The last JSON line of a child's stdout.
 * @param {ChildOutput} result
 * @returns {any} the child's JSON (a FitReport, or a data set's header), or { error }
 */
function jsonOf(result) {
  if (!result.ok) return { error: result.error, load: result.load };
  const line = result.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (line === undefined) return { error: `no JSON in: ${result.stdout.slice(0, 200)}`, load: result.load };
  return { ...JSON.parse(line), load: result.load };
}

/** @type {(script: string, args: string[]) => ChildOutput} */
const tsx = (script, args) => run(process.execPath, ['--import', 'tsx', join(benchDir, script), ...args]);

function detectPeers() {
  const py = run(PYTHON, [join(benchDir, 'peer_sklearn.py'), 'check']);
  const r = run('Rscript', [join(benchDir, 'peer_r.R'), 'check']);
  return {
    sklearn: py.ok ? null : `scikit-learn skipped: ${PYTHON} with sklearn and scipy not found (${py.error})`,
    r: r.ok ? null : `R NMF skipped: Rscript with the NMF package not found (${r.error})`,
  };
}

/** @param {number | undefined | null} s */
const fmtMs = (s) => (s === undefined || s === null ? '–' : (s * 1000).toPrecision(3));
/** @param {unknown} x */
const fmtMb = (x) => (typeof x === 'number' ? x.toFixed(0) : '–');
/** @param {unknown} x */
const fmtCpu = (x) => (typeof x === 'number' ? x.toFixed(1) : '–');
/** @param {[number, number] | undefined} x */
const fmtLoad = (x) => (x === undefined ? '–' : `${x[0].toFixed(1)}–${x[1].toFixed(1)}`);
/** @param {unknown} x */
const fmtLoss = (x) => (typeof x === 'number' ? x.toPrecision(10) : '–');

/** @param {unknown[][]} rows */
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => String(cell).padEnd(widths[c]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main() {
  if (process.argv.includes('--solution')) {
    // Only the time-to-solution comparison (its own options: --reps, --case, --no-r-nmf, --keep).
    solutionBench(process.argv.slice(2));
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const c of CASES)
      console.log(`${c.name}  (${c.iters} iterations${c.quick ? `, --quick ${c.quick}` : ''})`);
    return;
  }
  let cases = CASES.filter((c) =>
    opts.cases.length > 0
      ? opts.cases.includes(c.name)
      : (!opts.quick || c.quick !== undefined) && (!c.million || opts.million),
  );
  if (opts.cases.length > 0 && cases.length !== opts.cases.length) {
    throw new Error(`unknown case in ${opts.cases.join(', ')}; --list shows the cases`);
  }
  if (!existsSync(join(root, 'src/shared/nmf/wasm/build/kernels.ts'))) {
    const built = run(process.execPath, [join(root, 'scripts/build-wasm.js')]);
    if (!built.ok)
      console.log(`WebAssembly kernels not built (${built.error}); ours runs the scalar kernels`);
  }
  // The native dense kernels (skipped with a message where they cannot be built: then WebAssembly).
  run(process.execPath, [join(root, 'scripts/build-native.js')]);
  const peers = detectPeers();
  for (const message of Object.values(peers)) if (message !== null) console.log(message);

  const dir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'nmf-bench-'));
  if (opts.dataDir !== null) mkdirSync(dir, { recursive: true });
  try {
    // Data sets, each written once.
    const sets = [...new Set(cases.map((c) => c.set))];
    /** @type {Record<string, { rows: number, cols: number, zeros: number, kind: string }>} */
    const headers = {};
    for (const set of sets) {
      // digits comes from the copy in scripts/bench/fixtures (scikit-learn's load_digits values).
      const written = join(dir, `${set}.json`);
      const header =
        opts.dataDir !== null && existsSync(written)
          ? JSON.parse(readFileSync(written, 'utf8'))
          : jsonOf(tsx('data.ts', ['--dir', dir, '--set', set]));
      if (header.error) throw new Error(`data set ${set}: ${header.error}`);
      headers[set] = header;
      console.log(
        `data ${set}: ${header.rows} × ${header.cols}, ${(100 * header.zeros).toFixed(1)}% zeros, ${header.kind}`,
      );
    }
    cases = cases.filter((c) => headers[c.set] !== undefined);
    const starts = new Set();

    /** @type {(string | number)[][]} */
    const lines = [
      ['case', 'tool', 'ms/iter', 'ours/tool', 'CPU s', 'threads', 'peak MB', 'final loss', 'iters', 'load'],
    ];
    const summary = [];
    for (const c of cases) {
      const iters =
        c.million && opts.millionPasses !== null
          ? opts.millionPasses
          : opts.quick && opts.cases.length === 0
            ? c.quick
            : c.iters;
      const startKey = `${c.set}.k${c.k}`;
      const startWritten = opts.dataDir !== null && existsSync(join(dir, `${c.set}.k${c.k}.W0.f64`));
      if (!starts.has(startKey) && !startWritten) {
        const s = jsonOf(
          tsx('data.ts', ['--dir', dir, '--start', c.set, '--rank', String(c.k), '--seed', '0']),
        );
        if (s.error) throw new Error(`start ${startKey}: ${s.error}`);
        starts.add(startKey);
      }
      const reps = opts.reps;
      process.stdout.write(`running ${c.name} (${iters} iterations${reps > 1 ? `, best of ${reps}` : ''}) …`);
      const common = ['--dir', dir, '--set', c.set, '--rank', String(c.k), '--iters', String(iters)];
      if (c.batch !== undefined) common.push('--batch-size', String(c.batch));
      // One run per thread count; `ours` (the ratios' reference) is the one with the most threads.
      /** @type {[string, FitReport][]} */
      const results = [];
      /** @type {FitReport | null} */
      let ours = null;
      for (const threads of opts.threads) {
        const x = fastest(reps, () =>
          jsonOf(
            tsx('ours.ts', [
              ...common,
              ...['--beta', String(c.beta), '--solver', c.ours, '--backend', 'auto'],
              ...['--threads', String(threads)],
            ]),
          ),
        );
        const label = opts.threads.length > 1 ? `, ${threads} thread${threads > 1 ? 's' : ''}` : '';
        results.push([`ours ${c.ours} (${x.backend ?? '?'}${label})`, x]);
        ours = x;
      }
      if (ours === null) throw new Error('--threads gave no thread count');
      // Where the native kernels ran, the WebAssembly fallback too (what a machine without them gets).
      const most = opts.threads[opts.threads.length - 1];
      if (opts.wasm && ours?.backend === 'native')
        results.push([
          `ours ${c.ours} (wasm${opts.threads.length > 1 ? `, ${most} thread${most > 1 ? 's' : ''}` : ''})`,
          fastest(reps, () =>
            jsonOf(
              tsx('ours.ts', [
                ...common,
                ...['--beta', String(c.beta), '--solver', c.ours, '--backend', 'wasm'],
                ...['--threads', String(most)],
              ]),
            ),
          ),
        ]);
      if (opts.js)
        results.push([
          `ours ${c.ours} (js)`,
          fastest(reps, () =>
            jsonOf(
              tsx('ours.ts', [...common, '--beta', String(c.beta), '--solver', c.ours, '--backend', 'js']),
            ),
          ),
        ]);
      let sklearnBest = null;
      if (peers.sklearn === null) {
        const loss = c.beta === 1 ? 'kl' : 'frobenius';
        const args = [
          join(benchDir, 'peer_sklearn.py'),
          'run',
          ...common,
          '--loss',
          loss,
          '--solver',
          c.sklearn,
          // At 10⁶ cells MiniBatchNMF.fit_transform's closing full-data loss alone takes the peak
          // from 6 to 15 GB (peer_sklearn.py, fit_transform_without_error); the final loss is
          // computed from the factors outside the timing either way.
          ...(c.million && c.sklearn === 'minibatch' ? ['--skip-reconstruction-err', '1'] : []),
        ];
        /** @type {FitReport[]} */
        const runs = [];
        if (opts.sklearnMalloc !== 'tuned') {
          const plain = fastest(reps, () => jsonOf(run(PYTHON, args)));
          results.push([`sklearn ${c.sklearn} (default malloc)`, plain]);
          runs.push(plain);
        }
        if (opts.sklearnMalloc !== 'default') {
          const tuned = fastest(reps, () => jsonOf(run(PYTHON, args, MALLOC_ENV)));
          results.push([`sklearn ${c.sklearn} (malloc tuned)`, tuned]);
          runs.push(tuned);
        }
        const ok = runs.filter((x) => !x.error);
        if (ok.length > 0) sklearnBest = ok.reduce((a, b) => (a.secondsPerIter <= b.secondsPerIter ? a : b));
      }
      let rResult = null;
      if (c.r !== undefined && peers.r === null) {
        rResult = fastest(reps, () =>
          jsonOf(run('Rscript', [join(benchDir, 'peer_r.R'), 'run', ...common, '--method', c.r])),
        );
        results.push([`R NMF ${c.r}`, rResult]);
      }
      process.stdout.write(' done\n');
      for (const [tool, x] of results) {
        if (x.error) {
          lines.push([
            c.name,
            tool,
            'error',
            '',
            '',
            '',
            '',
            String(x.error).slice(0, 80),
            '',
            fmtLoad(x.load),
          ]);
          continue;
        }
        const ratio = ours.error || x === ours ? '' : (ours.secondsPerIter / x.secondsPerIter).toFixed(2);
        lines.push([
          c.name,
          tool,
          fmtMs(x.secondsPerIter),
          ratio,
          fmtCpu(x.cpuSeconds),
          x.threads ?? '–',
          fmtMb(x.peakRssMb),
          fmtLoss(x.finalLoss),
          x.iterations ?? '',
          fmtLoad(x.load),
        ]);
      }
      if (!ours.error) {
        const parts = [];
        /** @type {(ratio: number, target: number | undefined) => string} */
        const verdict = (ratio, target) =>
          target === undefined
            ? ''
            : ratio <= target
              ? ` (target ≤ ${target}: met)`
              : ` (target ≤ ${target}: not met)`;
        if (sklearnBest !== null) {
          const ratio = ours.secondsPerIter / sklearnBest.secondsPerIter;
          parts.push(`ours/sklearn ${ratio.toFixed(2)}${verdict(ratio, c.target?.sklearn)}`);
          if (ours.cpuSeconds !== undefined && sklearnBest.cpuSeconds !== undefined)
            parts.push(`CPU ours/sklearn ${(ours.cpuSeconds / sklearnBest.cpuSeconds).toFixed(2)}`);
        }
        if (rResult !== null && !rResult.error) {
          const ratio = ours.secondsPerIter / rResult.secondsPerIter;
          parts.push(`ours/R ${c.r} ${ratio.toFixed(2)}${verdict(ratio, c.target?.r)}`);
        }
        if (sklearnBest !== null && (c.ours === 'mu' || c.ours === 'minibatch')) {
          const rel = Math.abs(ours.finalLoss - sklearnBest.finalLoss) / Math.abs(sklearnBest.finalLoss);
          parts.push(`final loss vs sklearn: rel. diff ${rel.toExponential(1)}`);
        }
        const perThreads = results
          .filter(([tool]) => tool.startsWith('ours') && !tool.endsWith('(js)'))
          .map(
            ([, x]) => `${fmtMs(x.secondsPerIter)} ms/iter (${x.backend}) on ${x.threads ?? '?'} thread(s)`,
          )
          .join(', ');
        summary.push(`${c.name}: ours ${perThreads}; ${parts.join('; ')}`);
      }
    }
    console.log('');
    console.log(table(lines));
    console.log('');
    for (const s of summary) console.log(s);

    if (!opts.quick && opts.cases.length === 0) {
      console.log('\ntime to a solution (scripts/bench-solution.js):');
      solutionBench(['--reps', String(Math.max(opts.reps, 2))]);
    }

    const importBench = join(root, 'scripts/bench-import.mjs');
    if (!opts.quick && opts.cases.length === 0 && existsSync(importBench)) {
      console.log('\nimport (scripts/bench-import.mjs):');
      const result = run(process.execPath, [importBench]);
      console.log(result.ok ? result.stdout.trimEnd() : `import bench failed: ${result.error}`);
    }
  } finally {
    if (opts.keep || opts.dataDir !== null) console.log(`data kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
