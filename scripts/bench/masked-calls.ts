/**
 * The missing-value kernels one call at a time on a cross-validation fold of a dense data set, as a
 * fold fit calls them: `maskedSweep` and `maskedSums` on the W side (rows of V) and the H side
 * (columns of V), one thread, CPU ms per call (median of the calls in a round, fastest round).
 *
 *   node --import tsx scripts/bench/masked-calls.ts [--file e2e/fixtures/golub/golub.tsv.gz]
 *       [--ranks 2..5] [--fold 0] [--calls 200] [--rounds 5] [--old-native FILE]
 *
 * The fold is the sweep's (`cvFoldsFor` with the sweep's fold count, seed 0, `maskFold`); W and Hᵀ
 * are seeded uniform factors with about a tenth exact zeros. With `--old-native FILE` (another
 * build's nmf_kernels.node, copied aside) rounds alternate between this tree's module and that one,
 * so both meet the same load, and every call's outputs (factor, violation, denominators) are
 * checked `Object.is`-equal between the two (a difference is printed and the exit status is 1).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { NativeKernelModule } from '../../src/shared/nmf/kernels/native';
import { benchArgs } from './args';

const { installNativeKernels } = await import('../../src/main/native');
const { prepareData } = await import('../../src/shared/nmf/data');
const { selectKernels, columnSums } = await import('../../src/shared/nmf/kernels');
const { cvFoldsFor, maskFold } = await import('../../src/shared/analysis/crossval');
const { dense } = await import('../../src/shared/linalg/matrix');
const { Rng } = await import('../../src/shared/linalg/random');
const { SWEEP_DEFAULTS } = await import('../../src/shared/domain/defaults');

const { get } = benchArgs();
const file = get('--file', 'e2e/fixtures/golub/golub.tsv.gz');
const [fromRank, toRank] = get('--ranks', '2..5').split('..').map(Number);
const fold = Number(get('--fold', '0'));
const calls = Number(get('--calls', '200'));
const rounds = Number(get('--rounds', '5'));
const oldNativeFile = get('--old-native', '');
const oldNative: NativeKernelModule | null =
  oldNativeFile === '' ? null : (createRequire(import.meta.url)(oldNativeFile) as NativeKernelModule);
installNativeKernels();

/** A features × samples TSV (header row, name column), gzip or plain. */
function readTsv(path: string): ReturnType<typeof dense> {
  const raw = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split('\n').filter((line) => line.length > 0);
  const rows = lines.length - 1;
  const cols = lines[0].split('\t').length - 1;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1].split('\t');
    for (let j = 0; j < cols; j++) data[i * cols + j] = Number(cells[j + 1]);
  }
  return dense(rows, cols, data);
}

const V = readTsv(file);
const folds = cvFoldsFor(V.rows, V.cols, SWEEP_DEFAULTS.cvFolds, 0);
const data = prepareData(maskFold(V, folds, fold));
const missing = data.missing;
if (missing === null) throw new Error('the fold has no missing entries');
const { m, n } = data;

function factor(length: number, rng: InstanceType<typeof Rng>): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) out[q] = rng.uniform() < 0.1 ? 0 : rng.uniform();
  return out;
}

/** CPU ms of one call. */
function cpuOf(work: () => void): number {
  const t0 = process.cpuUsage();
  work();
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

type Outputs = Float64Array[];
let differ = 0;

for (let k = fromRank; k <= toRank; k++) {
  const rng = new Rng(k);
  const W = factor(m * k, rng);
  const Ht = factor(n * k, rng);
  const order = Int32Array.from({ length: k }, (_, t) => t);
  const scratch = new Float64Array(k * k);
  const byModule: Record<string, Record<string, number[]>> = { new: {}, old: {} };
  /** One round of `calls` calls of each kernel with `module`'s set; returns the last outputs. */
  const round = (which: 'new' | 'old'): Outputs => {
    const kernels = selectKernels(which === 'old' ? { threads: 1, native: oldNative } : { threads: 1 });
    const times: Record<string, number[]> = { sweepW: [], sweepH: [], sumsW: [], sumsH: [] };
    const Gw = new Float64Array(k * k);
    const Gh = new Float64Array(k * k);
    kernels.gram(Ht, n, k, Gw);
    kernels.gram(W, m, k, Gh);
    const Bw = new Float64Array(m * k);
    const Bh = new Float64Array(n * k);
    kernels.denseTimes(data.V.kind === 'dense' ? data.V.data : new Float64Array(0), m, n, Ht, k, Bw);
    kernels.denseTransposeTimes(data.V.kind === 'dense' ? data.V.data : new Float64Array(0), m, n, W, k, Bh);
    const Fw = W.slice();
    const Fh = Ht.slice();
    const denW = new Float64Array(m * k);
    const denH = new Float64Array(n * k);
    const hSum = new Float64Array(k);
    const wSum = new Float64Array(k);
    columnSums(Ht, n, k, hSum);
    columnSums(W, m, k, wSum);
    let vw = 0;
    let vh = 0;
    for (let c = 0; c < calls; c++) {
      // The same inputs every call (a fresh copy of the factor), so every round's outputs compare.
      Fw.set(W);
      Fh.set(Ht);
      times.sweepW.push(
        cpuOf(() => {
          vw = kernels.maskedSweep(Fw, m, Ht, n, k, Gw, Bw, 0, missing.rowPtr, missing.cols, order, scratch);
        }),
      );
      times.sweepH.push(
        cpuOf(() => {
          vh = kernels.maskedSweep(Fh, n, W, m, k, Gh, Bh, 0, missing.colPtr, missing.rows, order, scratch);
        }),
      );
      times.sumsW.push(
        cpuOf(() => kernels.maskedSums(denW, m, Ht, n, k, hSum, missing.rowPtr, missing.cols)),
      );
      times.sumsH.push(cpuOf(() => kernels.maskedSums(denH, n, W, m, k, wSum, missing.colPtr, missing.rows)));
    }
    for (const [name, values] of Object.entries(times)) {
      (byModule[which][name] ??= []).push(median(values));
    }
    return [Fw, Fh, denW, denH, Float64Array.of(vw, vh)];
  };
  for (let r = 0; r < rounds; r++) {
    const fresh = round('new');
    if (oldNative === null) continue;
    const old = round('old');
    const same = fresh.every((x, q) => x.every((v, i) => Object.is(v, old[q][i])));
    if (!same) {
      differ++;
      console.log(JSON.stringify({ k, round: r, differ: true }));
    }
  }
  for (const which of oldNative === null ? ['new'] : ['old', 'new']) {
    const best: Record<string, number> = {};
    for (const [name, values] of Object.entries(byModule[which])) {
      best[name] = Math.round(Math.min(...values) * 1000) / 1000;
    }
    console.log(JSON.stringify({ k, module: which, msPerCall: best }));
  }
}
if (differ > 0) {
  console.log(JSON.stringify({ differ }));
  process.exitCode = 1;
}
