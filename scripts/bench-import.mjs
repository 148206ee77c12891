#!/usr/bin/env node
// Import benchmark (not a test): writes a 20000 × 1000 dense TSV (~100 MB), a 2000 × 100000
// Matrix Market file with 10 % non-zeros and a 10⁵-cell AnnData file (`synth --cells`: 2000
// genes, planted modules, ~11 % non-zeros) into a temporary directory, imports each in its own
// process (so each peak RSS is its own) and prints time, CPU time and peak RSS. The text files are
// read through readMatrixFile; the `.h5ad` files through the whole import (read, transpose to
// genes × cells, hash, chunks written to a fresh library), as `nmf-studio import` does.
//
//     node scripts/bench-import.mjs            # the three cases
//     node scripts/bench-import.mjs --million  # also 10⁶ cells (a 1.8 GB file, a 2.6 GB matrix;
//                                              # about 3 GB of memory and a few minutes on 2 cores)
//     node scripts/bench-import.mjs --case h5ad-1e6   # one case (dense-tsv, sparse-mtx, h5ad-1e5, h5ad-1e6)
//     node scripts/bench-import.mjs --keep     # keep the generated files
//
// The TypeScript sources are loaded through tsx's ESM API, so no build is needed.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(import.meta.url);
const source = new URL('../src/main/io/index.ts', import.meta.url).href;
const synthSource = new URL('../src/shared/analysis/synthetic-cells.ts', import.meta.url).href;
const writersSource = new URL('../src/main/io/cell-writers.ts', import.meta.url).href;

/**
 * Small deterministic generator (mulberry32), so every run writes the same files.
 * @param {number} seed
 */
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * @param {string} path
 * @param {string} header
 * @param {number} count
 * @param {(i: number) => string} line
 */
async function writeLines(path, header, count, line) {
  const out = createWriteStream(path);
  let buffer = header;
  for (let i = 0; i < count; i++) {
    buffer += line(i);
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'close');
}

/**
 * @param {string} path
 * @param {number} rows
 * @param {number} cols
 */
async function writeDenseTsv(path, rows, cols) {
  const random = generator(1);
  const header = `gene\t${Array.from({ length: cols }, (_, j) => `sample${j + 1}`).join('\t')}\n`;
  await writeLines(path, header, rows, (i) => {
    const fields = [`gene${i + 1}`];
    for (let j = 0; j < cols; j++) fields.push(String(Math.floor(random() * 10000)));
    return `${fields.join('\t')}\n`;
  });
}

/**
 * @param {string} path
 * @param {number} rows
 * @param {number} cols
 * @param {number} density
 */
async function writeSparseMtx(path, rows, cols, density) {
  const random = generator(2);
  // Column by column, as 10x writes: each of the `rows` features is present with probability
  // `density`; the entry count is fixed up front, so it is drawn exactly per column.
  const perColumn = Math.round(rows * density);
  const header = `%%MatrixMarket matrix coordinate integer general\n%\n${rows} ${cols} ${perColumn * cols}\n`;
  await writeLines(path, header, cols, (j) => {
    /** @type {Set<number>} */
    const chosen = new Set();
    while (chosen.size < perColumn) chosen.add(Math.floor(random() * rows));
    let text = '';
    for (const i of [...chosen].sort((a, b) => a - b))
      text += `${i + 1} ${j + 1} ${1 + Math.floor(random() * 50)}\n`;
    return text;
  });
}

/** @param {string} path */
async function measure(path) {
  const { tsImport } = await import('tsx/esm/api');
  const { readMatrixFile } = await tsImport(source, import.meta.url);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const result = await readMatrixFile(path);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const { matrix } = result;
  console.log(JSON.stringify({ ...figures(matrix, seconds, cpu), nnz: result.nnz }));
}

/**
 * Peak RSS, CPU and the matrix's size.
 * @param {{kind: string, rows: number, cols: number, data: Float64Array, indices?: Int32Array, indptr?: Int32Array}} matrix
 * @param {number} seconds
 * @param {NodeJS.CpuUsage} cpu
 */
function figures(matrix, seconds, cpu) {
  const used = process.cpuUsage(cpu);
  return {
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    kind: matrix.kind,
    rows: matrix.rows,
    cols: matrix.cols,
    matrixMiB:
      (matrix.kind === 'dense'
        ? matrix.data.byteLength
        : matrix.data.byteLength + (matrix.indices?.byteLength ?? 0) + (matrix.indptr?.byteLength ?? 0)) /
      2 ** 20,
  };
}

/**
 * The whole import of `path` into a fresh library beside it (read, transpose, hash, chunks, one
 * transaction), by the built command line (`nmf-studio import FILE --db LIB`, out/main/cli.js)
 * run in this process, so the peak RSS is the import's and not a TypeScript loader's. Prints one
 * JSON line when the command exits.
 * @param {string} path
 */
async function measureImport(path) {
  const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npx electron-vite build" first`);
  const libraryPath = `${path}.library.sqlite`;
  const removeLibrary = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(libraryPath + suffix, { force: true });
  };
  removeLibrary();
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  /** @type {string[]} */
  const printed = [];
  const write = process.stdout.write.bind(process.stdout);
  // The command's own output (one JSON line naming the dataset) is kept, not printed.
  /** @type {{ write: (chunk: string | Uint8Array) => boolean }} */ (
    /** @type {unknown} */ (process.stdout)
  ).write = (chunk) => {
    printed.push(String(chunk));
    return true;
  };
  process.on('exit', () => {
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const stored = JSON.parse(printed.join('').trim().split('\n').pop() ?? '{}');
    const bytes = (stored.rows + 1) * 4 + stored.nnz * 12;
    const sized = figures(
      { kind: 'csr', rows: stored.rows, cols: stored.cols, data: new Float64Array(0) },
      seconds,
      cpu,
    );
    removeLibrary();
    write(`${JSON.stringify({ ...sized, nnz: stored.nnz, matrixMiB: bytes / 2 ** 20 })}\n`);
  });
  process.env.NMF_STUDIO_CLI = '1';
  process.argv = [process.argv[0], 'nmf-studio', 'import', path, '--db', libraryPath];
  await import(pathToFileURL(cli).href);
}

/**
 * A generated AnnData file of `cells` cells (the project's own `synth --cells` writer, seed 5).
 * @param {string} path
 * @param {number} cells
 */
async function writeCellsFile(path, cells) {
  const { tsImport } = await import('tsx/esm/api');
  const { plantCellModules } = await tsImport(synthSource, import.meta.url);
  const { writeCellsH5ad } = await tsImport(writersSource, import.meta.url);
  await writeCellsH5ad(path, plantCellModules({ features: 2000, cells, rank: 20, seed: 5 }));
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-bench-import-'));
  const keep = process.argv.includes('--keep');
  const million = process.argv.includes('--million');
  const only = process.argv.indexOf('--case') >= 0 ? process.argv[process.argv.indexOf('--case') + 1] : null;
  try {
    const cases = [
      {
        id: 'dense-tsv',
        name: 'dense TSV 20000 × 1000',
        file: join(dir, 'dense.tsv'),
        write: (/** @type {string} */ p) => writeDenseTsv(p, 20000, 1000),
        mode: '--measure',
      },
      {
        id: 'sparse-mtx',
        name: 'sparse MTX 2000 × 100000, 10 % non-zeros',
        file: join(dir, 'sparse.mtx'),
        write: (/** @type {string} */ p) => writeSparseMtx(p, 2000, 100000, 0.1),
        mode: '--measure',
      },
      {
        id: 'h5ad-1e5',
        name: 'h5ad 10⁵ cells × 2000 genes, ~11 % non-zeros, into a library',
        file: join(dir, 'cells-1e5.h5ad'),
        write: (/** @type {string} */ p) => writeCellsFile(p, 100_000),
        mode: '--measure-import',
      },
      {
        id: 'h5ad-1e6',
        name: 'h5ad 10⁶ cells × 2000 genes, ~11 % non-zeros, into a library',
        file: join(dir, 'cells-1e6.h5ad'),
        write: (/** @type {string} */ p) => writeCellsFile(p, 1_000_000),
        mode: '--measure-import',
        million: true,
      },
    ].filter((c) => (only === null ? !c.million || million : c.id === only));
    if (cases.length === 0)
      throw new Error(`unknown case ${only} (dense-tsv, sparse-mtx, h5ad-1e5, h5ad-1e6)`);
    for (const c of cases) {
      const t0 = Date.now();
      await c.write(c.file);
      const mib = statSync(c.file).size / 2 ** 20;
      console.log(`${c.name}: wrote ${mib.toFixed(0)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const child = spawnSync(process.execPath, [here, c.mode, c.file], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`measuring ${c.name} failed:\n${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop() ?? '');
      console.log(
        `${c.name}: imported in ${r.seconds.toFixed(2)} s (${r.cpuSeconds.toFixed(1)} s CPU, ` +
          `${(mib / r.seconds).toFixed(0)} MiB/s), peak RSS ${r.maxRssMiB.toFixed(0)} MiB ` +
          `(${(r.maxRssMiB / r.matrixMiB).toFixed(2)}× the ${r.kind} matrix of ${r.matrixMiB.toFixed(0)} MiB; ` +
          `${r.rows} × ${r.cols}, nnz ${r.nnz}), load average ${loadavg()[0].toFixed(1)}`,
      );
      if (!keep) rmSync(c.file, { force: true });
    }
  } finally {
    if (keep) console.log(`files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf('--measure');
const atImport = process.argv.indexOf('--measure-import');
if (at >= 0) await measure(process.argv[at + 1] ?? '');
else if (atImport >= 0) await measureImport(process.argv[atImport + 1] ?? '');
else await main();
