import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CsrMatrix, DenseMatrix } from '../../../linalg/matrix';
import { Rng } from '../../../linalg/random';
import { installNativeKernels } from '../../../../main/native';
import { startKernelTeam, type KernelTeamHandle } from '../../../../main/workers/kernel-team';
import { prepareData, type MissingPattern } from '../../data';
import { randomCounts, toCsr } from '../../__tests__/helpers';
import { EPS64, columnSums, multiplicativeUpdate, scalarKernels, selectKernels, type NmfKernels } from '..';
import { loadedNativeKernels, nativeKernels } from '../native';

/**
 * Every available backend against the scalar reference, kernel by kernel, bit for bit (Object.is
 * on every output entry, so −0 against +0 or a NaN where a number is wanted fail too): the bit
 * rules of ../contract.ts. Backends: WebAssembly on one thread (always: it instantiates under
 * Node), WebAssembly split over a 2-thread kernel team with every size threshold at 0 (so every
 * call is split, including m or n below the thread count), and the native kernels on 1 and 3
 * threads (every call split) where the module is built. Shapes: odd sizes, k = 1, k across the 2-, 4- and 8-wide
 * blocks, a single row or column, all-zero rows, CSR with empty rows, rows denser than a third
 * (the whole-row path) and stored zeros, and missing values (NaN) with their masks.
 */

const here = dirname(fileURLToPath(import.meta.url));
const helperEntry = join(here, '../../../../main/workers/kernel-helper.worker.ts');

const installed = installNativeKernels();
/** Why the native kernels are not compared here, or null when they are. */
const nativeSkipReason =
  installed.isa === null ? `native kernels not loaded: ${installed.reason ?? 'unknown reason'}` : null;

const shapes: Array<[number, number, number]> = [
  [1, 1, 1],
  [7, 5, 1],
  [1, 23, 3],
  [19, 1, 2],
  [37, 29, 3],
  [40, 33, 4],
  [25, 64, 7],
  [61, 18, 8],
  [30, 41, 10],
  // The native Gram matrix's register blocks: three vectors of columns, a tail of one; four then
  // one vector (k = 17); the coordinate-descent sweep's eight-row blocks with a remainder.
  [45, 20, 13],
  [27, 9, 17],
];

/** Factor entries: Gamma(1) with 10 % exact zeros (as MU and HALS leave them). */
function factor(length: number, rng: Rng): Float64Array {
  const out = new Float64Array(length);
  for (let q = 0; q < length; q++) out[q] = rng.uniform() < 0.1 ? 0 : rng.gamma(1);
  return out;
}

/** Index of the first entry where a and b differ in bits (−1: none; −2: lengths differ). */
function firstDifference(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return -2;
  for (let q = 0; q < a.length; q++) if (!Object.is(a[q], b[q])) return q;
  return -1;
}

function expectSameBits(got: Float64Array, want: Float64Array, label: string): void {
  const at = firstDifference(got, want);
  expect(at, at >= 0 ? `${label}: entry ${at} is ${got[at]}, the reference ${want[at]}` : label).toBe(-1);
}

/** Data of one shape: dense V (shared, with all-zero rows and NaN), its CSR form and the masks. */
interface Case {
  m: number;
  n: number;
  k: number;
  V: DenseMatrix;
  csr: CsrMatrix;
  missing: MissingPattern;
  /** A cross-validation-like mask: rows with none, some, most and all of their entries missing. */
  heavy: MissingPattern;
  W: Float64Array;
  Ht: Float64Array;
  order: Int32Array;
}

function makeCase(m: number, n: number, k: number, seed: number): Case {
  const V = randomCounts(m, n, seed, 0.35, 0.06, true);
  // An all-zero row and a row denser than a third (CSR whole-row path) where there are rows enough.
  if (m > 2) V.data.fill(0, n, 2 * n);
  if (m > 3) for (let j = 0; j < n; j++) V.data[2 * n + j] = 1 + (j % 5);
  // A NaN in a fully stored row, so the masks and the whole-row path meet.
  if (m > 3 && n > 1) V.data[2 * n + 1] = NaN;
  const csr = toCsr(V, { shared: true, storeZero: (i, j) => (i * 3 + j) % 11 === 0 });
  const missing = prepareData(V).missing ?? emptyMask(m, n);
  const rng = new Rng(seed + 1);
  const order = Int32Array.from({ length: k }, (_, t) => t);
  rng.shuffle(order);
  const heavy = heavyMask(m, n, new Rng(seed + 2));
  return { m, n, k, V, csr, missing, heavy, W: factor(m * k, rng), Ht: factor(n * k, rng), order };
}

/**
 * A mask with row i missing a fraction 0, ⅕, ⅗, 1 or 0.9 of its entries (in turn), at random:
 * both ways the masked sweep forms a row's Gram matrix (less the missing partners, or from the
 * observed ones when most are missing), rows with nothing observed, and empty rows of the lists.
 */
function heavyMask(m: number, n: number, rng: Rng): MissingPattern {
  const fractions = [0, 0.2, 0.6, 1, 0.9];
  const data = new Float64Array(m * n).fill(1);
  for (let i = 0; i < m; i++) {
    const p = fractions[i % fractions.length];
    for (let j = 0; j < n; j++) if (p === 1 || rng.uniform() < p) data[i * n + j] = NaN;
  }
  return prepareData({ kind: 'dense', rows: m, cols: n, data }).missing ?? emptyMask(m, n);
}

function emptyMask(m: number, n: number): MissingPattern {
  return {
    count: 0,
    rowPtr: new Int32Array(m + 1),
    cols: new Int32Array(0),
    colPtr: new Int32Array(n + 1),
    rows: new Int32Array(0),
  };
}

/**
 * Runs every kernel of `K` on case `c` and returns the outputs by name (garbage in every output
 * first: a kernel must overwrite, not add; the inputs are copied where a kernel updates in place).
 */
function runAll(K: NmfKernels, c: Case): Map<string, Float64Array> {
  const { m, n, k, V, csr, missing, heavy, W, Ht, order } = c;
  const out = new Map<string, Float64Array>();
  const garbage = (length: number): Float64Array => new Float64Array(length).fill(7.5);
  const record = (name: string, f: (o: Float64Array) => void, length: number): void => {
    const o = garbage(length);
    f(o);
    out.set(name, o);
  };
  const rowN = (): Float64Array => garbage(n);
  const ratio = (): Float64Array => garbage(csr.data.length);
  const { indptr, indices, data } = csr;

  record('denseTimes', (o) => K.denseTimes(V.data, m, n, Ht, k, o), m * k);
  record('denseTransposeTimes', (o) => K.denseTransposeTimes(V.data, m, n, W, k, o), n * k);
  record('csrTimes', (o) => K.csrTimes(indptr, indices, data, m, n, Ht, k, o), m * k);
  record('csrTransposeTimes', (o) => K.csrTransposeTimes(indptr, indices, data, m, n, W, k, o), n * k);
  record('gram W', (o) => K.gram(W, m, k, o), k * k);
  record('gram Ht', (o) => K.gram(Ht, n, k, o), k * k);
  const G = new Float64Array(k * k);
  scalarKernels.gram(Ht, n, k, G);
  record('timesSmall', (o) => K.timesSmall(W, m, k, G, o), m * k);
  for (const [name, F, rows] of [
    ['W', W, m],
    ['Ht', Ht, n],
  ] as const) {
    record(`orthonormalizeColumns ${name}`, (o) => (o.set(F), K.orthonormalizeColumns(o, rows, k)), rows * k);
  }
  record('klNumWDense', (o) => K.klNumWDense(V.data, m, n, k, W, Ht, o, rowN()), m * k);
  record('klNumHDense', (o) => K.klNumHDense(V.data, m, n, k, W, Ht, o, rowN()), n * k);
  record('klNumWCsr', (o) => K.klNumWCsr(indptr, indices, data, m, n, k, W, Ht, o, rowN(), ratio()), m * k);
  record('klNumHCsr', (o) => K.klNumHCsr(indptr, indices, data, m, n, k, W, Ht, o, rowN(), ratio()), n * k);

  const longest = Math.max(1, ...Array.from({ length: m }, (_, i) => indptr[i + 1] - indptr[i]));
  for (const beta of [0, 0.5, 1.5, 3]) {
    for (const [layout, arrays] of [
      ['dense', { kind: 'dense' as const, data: V.data }],
      ['csr', { kind: 'csr' as const, indptr, indices, data }],
    ] as const) {
      const numW = garbage(m * k);
      const denW = garbage(m * k);
      K.betaW(arrays, m, n, k, W, Ht, beta, numW, denW, rowN(), rowN(), garbage(longest));
      out.set(`betaW ${layout} β=${beta} num`, numW);
      out.set(`betaW ${layout} β=${beta} den`, denW);
      const numH = garbage(n * k);
      const denH = garbage(n * k);
      K.betaH(arrays, m, n, k, W, Ht, beta, numH, denH, rowN(), rowN(), garbage(longest));
      out.set(`betaH ${layout} β=${beta} num`, numH);
      out.set(`betaH ${layout} β=${beta} den`, denH);
    }
  }

  const hSum = new Float64Array(k);
  const wSum = new Float64Array(k);
  for (let q = 0; q < n * k; q++) hSum[q % k] += Ht[q];
  for (let q = 0; q < m * k; q++) wSum[q % k] += W[q];
  record('maskedSums W', (o) => K.maskedSums(o, m, Ht, n, k, hSum, missing.rowPtr, missing.cols), m * k);
  record('maskedSums H', (o) => K.maskedSums(o, n, W, m, k, wSum, missing.colPtr, missing.rows), n * k);
  record('maskedSums W heavy', (o) => K.maskedSums(o, m, Ht, n, k, hSum, heavy.rowPtr, heavy.cols), m * k);
  record('maskedSums H heavy', (o) => K.maskedSums(o, n, W, m, k, wSum, heavy.colPtr, heavy.rows), n * k);

  // Coordinate descent: B = V·Hᵀ − l1 (some entries negative), G = HHᵀ + l2·I; component 0 of the
  // other factor zeroed in one run so that a zero Hessian entry is skipped.
  for (const [label, l1, l2] of [
    ['plain', 0, 0],
    ['penalised', 0.3, 0.2],
  ] as const) {
    const B = new Float64Array(m * k);
    scalarKernels.denseTimes(V.data, m, n, Ht, k, B);
    for (let q = 0; q < m * k; q++) B[q] -= l1 + (q % 3 === 0 ? 2 : 0);
    const Gl = G.slice();
    for (let t = 0; t < k; t++) Gl[t * k + t] += l2;
    const F = W.slice();
    const violation = K.cdSweep(F, m, k, Gl, B, order);
    out.set(`cdSweep ${label} F`, F);
    out.set(`cdSweep ${label} violation`, Float64Array.of(violation));
    const Fm = W.slice();
    const masked = K.maskedSweep(
      Fm,
      m,
      Ht,
      n,
      k,
      Gl,
      B,
      l2,
      missing.rowPtr,
      missing.cols,
      order,
      garbage(k * k),
    );
    out.set(`maskedSweep ${label} F`, Fm);
    out.set(`maskedSweep ${label} violation`, Float64Array.of(masked));
    // The same on the heavy mask, both sides (H's sweep: B = VᵀW − l1, G = WᵀW + l2·I).
    const Fw = W.slice();
    const heavyW = K.maskedSweep(Fw, m, Ht, n, k, Gl, B, l2, heavy.rowPtr, heavy.cols, order, garbage(k * k));
    out.set(`maskedSweep ${label} heavy W`, Fw);
    out.set(`maskedSweep ${label} heavy W violation`, Float64Array.of(heavyW));
    const Bh = new Float64Array(n * k);
    scalarKernels.denseTransposeTimes(V.data, m, n, W, k, Bh);
    for (let q = 0; q < n * k; q++) Bh[q] -= l1 + (q % 4 === 1 ? 1.5 : 0);
    const Gw = new Float64Array(k * k);
    scalarKernels.gram(W, m, k, Gw);
    for (let t = 0; t < k; t++) Gw[t * k + t] += l2;
    const Fh = Ht.slice();
    const heavyH = K.maskedSweep(Fh, n, W, m, k, Gw, Bh, l2, heavy.colPtr, heavy.rows, order, garbage(k * k));
    out.set(`maskedSweep ${label} heavy H`, Fh);
    out.set(`maskedSweep ${label} heavy H violation`, Float64Array.of(heavyH));
  }
  const Hz = Ht.slice();
  for (let j = 0; j < n; j++) Hz[j * k] = 0;
  const Gz = new Float64Array(k * k);
  scalarKernels.gram(Hz, n, k, Gz);
  const Bz = new Float64Array(m * k);
  scalarKernels.denseTimes(V.data, m, n, Hz, k, Bz);
  const Fz = W.slice();
  out.set('cdSweep zero Hessian violation', Float64Array.of(K.cdSweep(Fz, m, k, Gz, Bz, order)));
  out.set('cdSweep zero Hessian F', Fz);

  for (const [key, value] of runFused(K, c, (set) => set)) out.set(key, value);

  const rows = garbage(m * n);
  K.whRows(W, Ht, m, n, k, (i, wh, at) => rows.set(wh.subarray(at, at + n), i * n));
  out.set('whRows', rows);
  record('rowLosses KL', (o) => K.rowLosses(1, V.data, m, n, k, W, Ht, o), 2 * m);
  record('rowLosses Frobenius', (o) => K.rowLosses(2, V.data, m, n, k, W, Ht, o), 2 * m);
  record('rowLosses KL and log-likelihood', (o) => K.rowLosses(3, V.data, m, n, k, W, Ht, o), 3 * m);
  record('rowLosses log-likelihood', (o) => K.rowLosses(4, V.data, m, n, k, W, Ht, o), 3 * m);
  // logGamma's other paths and the edges of the logs: non-integer values (Lanczos), integers
  // above 171 (Lanczos, not the table), values in (0, EPS32] (in the log-likelihood, not the KL
  // sums), and a row of W at zero, so WH = 0 under V > 0 (−Infinity, and EPS32 in the KL ratio).
  const Vx = V.data.map((v, q) =>
    v === 0 || v !== v ? v : q % 7 === 0 ? v * 1.37 : q % 11 === 0 ? v + 300 : q % 13 === 0 ? 1e-9 : v,
  );
  const Wz = W.slice();
  if (m > 4) Wz.fill(0, 4 * k, 5 * k);
  record(
    'rowLosses KL and log-likelihood, other values',
    (o) => K.rowLosses(3, Vx, m, n, k, Wz, Ht, o),
    3 * m,
  );
  record('rowLosses log-likelihood, other values', (o) => K.rowLosses(4, Vx, m, n, k, Wz, Ht, o), 3 * m);
  return out;
}

/**
 * The fused half-iterations of `K` on case `c` (HALS both sides, plain and penalised, from the
 * case's factors; KL both sides with thresholds 0 and EPS64, penalised and not), outputs by name.
 * `via` picks what runs them: K itself, or `bySteps(K)` (the separate calls they stand for).
 */
function runFused(
  K: NmfKernels,
  c: Case,
  via: (K: NmfKernels, c: Case) => Pick<NmfKernels, 'halsHalf' | 'klHalf'>,
): Map<string, Float64Array> {
  const { m, n, k, V, W, Ht, order } = c;
  const dense = V.data.map((x) => (Number.isNaN(x) ? 0 : x));
  const F = via(K, c);
  const out = new Map<string, Float64Array>();
  const garbage = (length: number): Float64Array => new Float64Array(length).fill(7.5);
  for (const [label, l1, l2] of [
    ['plain', 0, 0],
    ['penalised', 0.3, 0.2],
  ] as const) {
    // A full iteration: W's half, then H's half with the new W (as halsIteration runs them).
    const w = W.slice();
    const h = Ht.slice();
    const B = garbage(m * k);
    const G = garbage(k * k);
    const vw = F.halsHalf(0, dense, m, n, k, w, h, B, G, order, l1, l2);
    const Bh = garbage(n * k);
    const vh = F.halsHalf(1, dense, m, n, k, h, w, Bh, G, order, l1, l2);
    out.set(`halsHalf ${label} W`, w);
    out.set(`halsHalf ${label} Ht`, h);
    out.set(`halsHalf ${label} B`, B);
    out.set(`halsHalf ${label} Bh`, Bh);
    out.set(`halsHalf ${label} G`, G);
    out.set(`halsHalf ${label} violations`, Float64Array.of(vw, vh));
    for (const threshold of [0, EPS64]) {
      const wk = W.slice();
      const hk = Ht.slice();
      const num = garbage(m * k);
      F.klHalf(0, dense, m, n, k, wk, hk, num, garbage(m * k), garbage(k), garbage(n), l1, l2, threshold);
      const numH = garbage(n * k);
      F.klHalf(1, dense, m, n, k, wk, hk, numH, garbage(n * k), garbage(k), garbage(n), l1, l2, threshold);
      out.set(`klHalf ${label} ${threshold} W`, wk);
      out.set(`klHalf ${label} ${threshold} Ht`, hk);
      out.set(`klHalf ${label} ${threshold} numW`, num);
      out.set(`klHalf ${label} ${threshold} numHt`, numH);
    }
  }
  // A W column of zeros: the H side's zero column sum replaced by 1.
  const wz = W.slice();
  for (let i = 0; i < m; i++) wz[i * k] = 0;
  const hz = Ht.slice();
  F.klHalf(1, dense, m, n, k, wz, hz, garbage(n * k), garbage(n * k), garbage(k), garbage(n), 0, 0, EPS64);
  out.set('klHalf zero column Ht', hz);
  return out;
}

/**
 * The calls a fused half-iteration stands for (./contract.ts), written out here from `K`'s
 * separate kernels and the scalar update, independently of ../fused.ts.
 */
function bySteps(K: NmfKernels): Pick<NmfKernels, 'halsHalf' | 'klHalf'> {
  return {
    halsHalf: (side, V, m, n, k, F, O, B, G, order, l1, l2) => {
      const rows = side === 0 ? m : n;
      if (side === 0) K.denseTimes(V, m, n, O, k, B);
      else K.denseTransposeTimes(V, m, n, O, k, B);
      if (l1 !== 0) for (let q = 0; q < rows * k; q++) B[q] -= l1;
      K.gram(O, side === 0 ? n : m, k, G);
      if (l2 !== 0) for (let t = 0; t < k; t++) G[t * k + t] += l2;
      return K.cdSweep(F, rows, k, G, B, order);
    },
    klHalf: (side, V, m, n, k, W, Ht, num, den, sums, row, l1, l2, threshold) => {
      const rows = side === 0 ? m : n;
      const other = side === 0 ? Ht : W;
      if (side === 0) K.klNumWDense(V, m, n, k, W, Ht, num, row);
      else K.klNumHDense(V, m, n, k, W, Ht, num, row);
      columnSums(other, side === 0 ? n : m, k, sums);
      if (side === 1) for (let t = 0; t < k; t++) if (sums[t] === 0) sums[t] = 1;
      for (let r = 0; r < rows; r++) for (let t = 0; t < k; t++) den[r * k + t] = sums[t];
      multiplicativeUpdate(side === 0 ? W : Ht, num, den, rows * k, l1, l2, 1, threshold);
    },
  };
}

/** Every kernel of `K` against the scalar reference on every shape. */
function conformanceSuite(name: string, kernelsOf: () => NmfKernels): void {
  describe(name, () => {
    for (const [m, n, k] of shapes) {
      it(`${m} × ${n}, k = ${k}: every kernel gives the scalar reference's bits`, () => {
        const c = makeCase(m, n, k, m * 1009 + n * 13 + k);
        const want = runAll(scalarKernels, c);
        const got = runAll(kernelsOf(), c);
        expect([...got.keys()]).toEqual([...want.keys()]);
        for (const [kernel, values] of want) expectSameBits(got.get(kernel)!, values, kernel);
      });
      it(`${m} × ${n}, k = ${k}: a fused half-iteration gives the bits of the calls it stands for`, () => {
        const c = makeCase(m, n, k, m * 1009 + n * 13 + k);
        const K = kernelsOf();
        const want = runFused(K, c, bySteps);
        const got = runFused(K, c, (set) => set);
        for (const [kernel, values] of want) expectSameBits(got.get(kernel)!, values, kernel);
      });
    }
  });
}

it('the reference is the scalar set, and the default set is not it under Node', () => {
  expect(scalarKernels.backend).toBe('js');
  expect(selectKernels({ backend: 'js' })).toBe(scalarKernels);
  expect(selectKernels().backend).not.toBe('js');
});

conformanceSuite('WebAssembly, one thread', () => selectKernels({ backend: 'wasm' }));

describe('WebAssembly split over a 2-thread kernel team (every call split)', () => {
  let team: KernelTeamHandle;
  let kernels: NmfKernels;
  beforeAll(async () => {
    team = await startKernelTeam(2, helperEntry, { minDenseWork: 0, minSweepWork: 0, minCsrWork: 0 });
    kernels = selectKernels({ backend: 'wasm', team });
  });
  afterAll(async () => {
    kernels.release();
    await team.close();
  });
  conformanceSuite('kernels', () => kernels);
  it('did split the calls', () => expect(kernels.threadsUsed()).toBe(2));
});

describe.skipIf(nativeSkipReason !== null)(
  `native kernels${nativeSkipReason ? ` (${nativeSkipReason})` : ''}`,
  () => {
    conformanceSuite('one thread', () => selectKernels({ backend: 'native', threads: 1 }));
    conformanceSuite('three threads, every call split', () =>
      selectKernels({ backend: 'native', threads: 3, splitAlways: true }),
    );
    it('serves the missing-value kernels itself, and takes them from the wrapped set from a module without them', () => {
      const module = loadedNativeKernels();
      expect(typeof module?.maskedSweep).toBe('function');
      expect(typeof module?.maskedSums).toBe('function');
      const wasm = selectKernels({ backend: 'wasm' });
      const native = selectKernels({ backend: 'native' });
      expect(native.maskedSweep).not.toBe(wasm.maskedSweep);
      const older = nativeKernels({ ...module!, maskedSweep: undefined, maskedSums: undefined }, 2, wasm);
      expect(older.maskedSweep).toBe(wasm.maskedSweep);
      expect(older.maskedSums).toBe(wasm.maskedSums);
    });
    it('gives the reference Gram matrix where a factor holds an infinity next to zeros', () => {
      // 0·∞ is NaN: the reference skips a zero's terms, so the native kernel must not add them.
      for (const k of [5, 12]) {
        const rows = 9;
        const A = factor(rows * k, new Rng(k));
        A[2 * k + 1] = Infinity;
        A[2 * k + 3] = 0;
        A[4 * k] = 0;
        const want = new Float64Array(k * k);
        scalarKernels.gram(A, rows, k, want);
        const got = new Float64Array(k * k);
        selectKernels({ backend: 'native' }).gram(A, rows, k, got);
        expectSameBits(got, want, `gram, k = ${k}`);
      }
    });
    it('refuses partner lists that point outside the other factor', () => {
      const module = loadedNativeKernels()!;
      const F = new Float64Array(4);
      const ptr = Int32Array.of(0, 1, 2);
      const outside = Int32Array.of(0, 3);
      const order = Int32Array.of(0, 1);
      const G = Float64Array.of(1, 0, 0, 1);
      expect(() => module.maskedSweep!(F, 2, F, 2, 2, G, F, 0, ptr, outside, order, 1)).toThrow(
        /0\.\.others-1/,
      );
      expect(() =>
        module.maskedSums!(F, 2, F, 2, 2, F, Int32Array.of(0, 2, 1), Int32Array.of(0, 1), 1),
      ).toThrow(/0\.\.others-1/);
    });
  },
);
