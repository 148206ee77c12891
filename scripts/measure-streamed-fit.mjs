#!/usr/bin/env node
// Measurement (not a test): peak memory and wall time of one minibatch KL fit through the
// services, V held in memory against V streamed from a sample-major copy on disk (memory budget
// below V's size). Generates planted cells (the project's `synth --cells` generator) as .h5ad,
// imports them into a fresh library in one process, then runs each fit in a process of its own so
// that each peak RSS (process.resourceUsage().maxRSS: the main thread and the pool's worker) is
// its own. Prints one JSON line per fit.
//
//     node scripts/measure-streamed-fit.mjs --cells 100000 --features 2000 --rank 20 --passes 3
//     node scripts/measure-streamed-fit.mjs --cells 1000000 --budget 1G [--streamed-only]
//
// The TypeScript sources are loaded through tsx's ESM API, so no build is needed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = fileURLToPath(import.meta.url);
/** @param {string} path */
const src = (path) => new URL(`../src/${path}`, import.meta.url).href;
const workerPath = fileURLToPath(new URL('../src/main/workers/nmf.worker.ts', import.meta.url));

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    dir: { type: 'string' },
    cells: { type: 'string', default: '100000' },
    features: { type: 'string', default: '2000' },
    rank: { type: 'string', default: '20' },
    passes: { type: 'string', default: '3' },
    budget: { type: 'string' },
    keep: { type: 'boolean' },
    'streamed-only': { type: 'boolean' },
  },
});

async function load() {
  const { register } = await import('tsx/esm/api');
  register();
  const services = await import(src('main/services/index.ts'));
  return services;
}

/** @param {string} dir */
async function prepare(dir) {
  const { createServices } = await load();
  const { plantCellModules } = await import(src('shared/analysis/synthetic-cells.ts'));
  const { writeCellsH5ad } = await import(src('main/io/cell-writers.ts'));
  const { importDatasetFile } = await import(src('main/services/datasets.ts'));
  const model = plantCellModules({
    features: Number(values.features),
    cells: Number(values.cells),
    rank: Number(values.rank),
    seed: 1,
  });
  const file = join(dir, 'cells.h5ad');
  await writeCellsH5ad(file, model);
  const services = createServices({
    libraryPath: join(dir, 'library.sqlite'),
    workerPath,
    mode: 'cli',
    threads: 1,
  });
  const { dataset } = await importDatasetFile(services.ctx, file, {
    transpose: false,
    header: true,
    rowNames: true,
    transform: 'none',
  });
  await services.close();
  rmSync(file);
  console.log(
    JSON.stringify({ rows: dataset.rows, cols: dataset.cols, nnz: dataset.nnz, csrBytes: dataset.sizeBytes }),
  );
}

/**
 * @param {string} dir
 * @param {number} budgetBytes
 */
async function fit(dir, budgetBytes) {
  const { createServices } = await load();
  const { createRun, executeRun, getRunDetail } = await import(src('main/services/runs.ts'));
  const services = createServices({
    libraryPath: join(dir, 'library.sqlite'),
    workerPath,
    mode: 'cli',
    threads: 1,
    tempDir: dir,
    memoryBudget: { overrideBytes: budgetBytes, settingsDir: dir },
  });
  const rssBefore = process.resourceUsage().maxRSS * 1024;
  const started = Date.now();
  const run = createRun(services.ctx, 1, {
    rank: Number(values.rank),
    loss: 'kl',
    solver: 'minibatch',
    init: 'random',
    maxIter: Number(values.passes),
    tol: 0,
  });
  const outcome = await executeRun(services.ctx, run.id);
  const seconds = (Date.now() - started) / 1000;
  const detail = getRunDetail(services.ctx, run.id);
  const memory = detail.provenance?.memory;
  console.log(
    JSON.stringify({
      outcome,
      error: detail.error,
      mode: memory?.mode,
      budgetBytes,
      plannedPeakBytes: memory?.plannedPeakBytes,
      accountedPeakBytes: memory?.accountedPeakBytes ?? null,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      rssAtStartBytes: rssBefore,
      seconds,
      loss: detail.loss,
    }),
  );
  await services.close();
}

if (values.role === 'prepare') await prepare(String(values.dir));
else if (values.role === 'fit') await fit(String(values.dir), Number(values.budget));
else {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-measure-streamed-'));
  /** @param {string[]} args */
  const child = (...args) => {
    const result = spawnSync(process.execPath, [here, ...process.argv.slice(2), '--dir', dir, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`child ${args.join(' ')} exited ${result.status}`);
    return JSON.parse(result.stdout.trim().split('\n').pop() ?? 'null');
  };
  try {
    const data = child('--role', 'prepare');
    console.log(JSON.stringify({ data }));
    const { parseSize } = await (async () => {
      const { register } = await import('tsx/esm/api');
      register();
      return import(src('shared/domain/memory-plan.ts'));
    })();
    const streamedBudget = values.budget
      ? parseSize(values.budget)
      : Math.max(64 * 2 ** 20, Math.floor(data.csrBytes / 2));
    if (!values['streamed-only'])
      console.log(JSON.stringify({ inMemory: child('--role', 'fit', '--budget', String(64 * 2 ** 30)) }));
    console.log(JSON.stringify({ streamed: child('--role', 'fit', '--budget', String(streamedBudget)) }));
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}
