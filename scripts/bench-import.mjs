#!/usr/bin/env node
// Import benchmark (not a test): writes a 20000 × 1000 dense TSV (~100 MB) and a 2000 × 100000
// Matrix Market file with 10 % non-zeros into a temporary directory, imports each through
// readMatrixFile in its own process (so each peak RSS is its own) and prints time and peak RSS.
//
//     node scripts/bench-import.mjs            # both cases
//     node scripts/bench-import.mjs --keep     # keep the generated files
//
// The TypeScript sources are loaded through tsx's ESM API, so no build is needed.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const source = new URL('../src/main/io/index.ts', import.meta.url).href;

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
  const result = await readMatrixFile(path);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const { matrix } = result;
  console.log(
    JSON.stringify({
      seconds,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      kind: matrix.kind,
      rows: matrix.rows,
      cols: matrix.cols,
      nnz: result.nnz,
      matrixMiB:
        (matrix.kind === 'dense'
          ? matrix.data.byteLength
          : matrix.data.byteLength + matrix.indices.byteLength + matrix.indptr.byteLength) /
        2 ** 20,
    }),
  );
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'nmf-bench-import-'));
  const keep = process.argv.includes('--keep');
  try {
    const cases = [
      {
        name: 'dense TSV 20000 × 1000',
        file: join(dir, 'dense.tsv'),
        write: (/** @type {string} */ p) => writeDenseTsv(p, 20000, 1000),
      },
      {
        name: 'sparse MTX 2000 × 100000, 10 % non-zeros',
        file: join(dir, 'sparse.mtx'),
        write: (/** @type {string} */ p) => writeSparseMtx(p, 2000, 100000, 0.1),
      },
    ];
    for (const c of cases) {
      const t0 = Date.now();
      await c.write(c.file);
      const mib = statSync(c.file).size / 2 ** 20;
      console.log(`${c.name}: wrote ${mib.toFixed(0)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const child = spawnSync(process.execPath, [here, '--measure', c.file], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`measuring ${c.name} failed:\n${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split('\n').pop() ?? '');
      console.log(
        `${c.name}: imported in ${r.seconds.toFixed(2)} s (${(mib / r.seconds).toFixed(0)} MiB/s), ` +
          `peak RSS ${r.maxRssMiB.toFixed(0)} MiB for a ${r.kind} matrix of ${r.matrixMiB.toFixed(0)} MiB ` +
          `(${r.rows} × ${r.cols}, nnz ${r.nnz})`,
      );
    }
  } finally {
    if (keep) console.log(`files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const at = process.argv.indexOf('--measure');
if (at >= 0) await measure(process.argv[at + 1] ?? '');
else await main();
