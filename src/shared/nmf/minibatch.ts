import type { CsrMatrix, DenseMatrix } from '../linalg/matrix';
import { dense } from '../linalg/matrix';
import { transpose } from '../linalg/ops';
import { observedMean, type MissingPattern, type PreparedData } from './data';
import { MemoryAccount, type SampleBatchSource } from './batch-source';
import { divergenceOf, logLikelihoodOf } from './divergence';
import { MINIBATCH_DEFAULTS } from './defaults';
import { columnSums, EPS32, EPS64, multiplicativeUpdate, selectKernels, type NmfKernels } from './kernels';
import { nativeBatchGather, type CsrBatchGather } from './kernels/native';
import { createWorkspace, muExponent, muNumDenH, muNumDenW, type Workspace } from './solvers';
import {
  FitCancelledError,
  type FitHooks,
  type FitOptions,
  type FitResult,
  type MinibatchSettings,
} from './types';

/**
 * Online (minibatch) multiplicative updates for the β-divergence: Serizel, Essid & Richard (2016),
 * "Mini-batch stochastic approaches for accelerated multiplicative updates in nonnegative matrix
 * factorisation with beta-divergence", as scikit-learn 1.2's `MiniBatchNMF` implements it
 * (`_minibatch_step`, `_multiplicative_update_h` with A, B, ρ, `_minibatch_convergence`).
 *
 * Orientation. scikit-learn's X is samples × features; ours V is features × samples (m × n), so
 * its X is our Vᵀ, its per-batch factor W (samples × k) is our H (held as Ht, n × k) and its
 * dictionary H (k × features) is our W (m × k). A batch is a block of samples, i.e. of columns of
 * V: b consecutive rows of Ht, and the batch of data Vᵀ_b (b × m) is handed to the ordinary MU
 * steps (`muNumDenW`/`muNumDenH`) as a small fit in scikit-learn's orientation, "W" = Ht_b and
 * "Ht" = W. Every product, threshold and ε guard is therefore the full-batch solver's.
 *
 * One step on the batch of samples [j0, j1):
 *   1. Ht_b ← one MU step of H on the batch with W fixed (or, with fresh restarts, H_b solved from
 *      a flat start by up to `freshRestartsMaxIter` MU steps, scikit-learn's `_solve_W`);
 *   2. batch cost = (D_β(V_b ‖ W H_b) + penalties) / b, for early stopping;
 *   3. W from running statistics: with num, den the MU numerator and denominator of W on the batch
 *      (penalties in den), A ← ρA + num ⊙ W^(1/γ), B ← ρB + den, W ← (A ⊘ B)^γ,
 *      ρ = forgetFactor^(b/n); A starts as W₀, B as ones (scikit-learn's `_components_numerator`
 *      and `_components_denominator`).
 * Batches are taken in the fixed order 0..n−1, cycling, as scikit-learn does (`gen_batches`, no
 * shuffling): the result does not depend on the seed beyond the start. Data whose samples are
 * sorted (by donor, by cluster) give batches of one kind; every pass still weighs all batches
 * (ρ^(n/b) = forgetFactor per pass: 0.3 by default, scikit-learn's 0.7), but shuffling the
 * samples beforehand is the user's choice, as in scikit-learn.
 *
 * Schedules (`schedule`). `sklearn` is the above step for step, with scikit-learn's defaults
 * (batches of 1024, forget factor 0.7) and its stopping (below). `refined`, the default, keeps the
 * online step but changes the schedule around it, because scikit-learn's ends far from the
 * full-batch answer (KL, k = 20, 2000 × 2·10⁴ planted cell counts: +49 % after 10 passes):
 *   - each batch's H takes up to `innerIter` MU steps per visit (3), until its relative change is
 *     ≤ `innerTol` (1e-3): with one step per visit H has had only as many steps as passes, so W is
 *     fitted to a far-from-solved H (Serizel et al. 2016 and Mairal et al. 2010, "Online learning
 *     for matrix factorization", solve each batch's coefficients before the dictionary step);
 *   - batches of 128 and forget factor 0.3: W is updated ~8× as often per pass and early
 *     statistics (from H fitted to the random start) are forgotten faster;
 *   - `onlinePasses` (5) online passes, then up to `polishPasses` (20) full-batch MU passes over
 *     the batches: per batch one MU step of H_b (W fixed), W's numerator and denominator summed over
 *     the batches in order, then W's MU step; they stop early by full-batch MU's rule (fit.ts). The
 *     online W carries its batches' noise; these exact steps remove it;
 *   - finally H is solved for the returned W over all samples (up to `finalIter` (30) MU steps per
 *     batch, each until it settles), so the returned H, and the reported loss, are what
 *     `transform` of the returned W gives, not the stale per-batch H of the last pass.
 * `maxIter` bounds all passes (online + polish; the final solve is not counted, as scikit-learn's
 * final `_solve_W` is not). The per-step stopping tests below are not used (5 online passes are
 * few, and on batches of 128 they stop on the noise of the batch cost). `converged`: the polish ran
 * its passes or stopped by MU's rule.
 *
 * Stopping (`sklearn` schedule; scikit-learn's, per step from the second):
 * ‖W − W_prev‖_F / ‖W‖_F ≤ tol, or the exponentially weighted average of the batch cost
 * (weight b/(n+1)) not improving on its minimum
 * for `maxNoImprovement` steps (null: never). `maxIter` counts passes over the data; the number of
 * steps is maxIter·⌈n/b⌉; `iterations` reports ⌈steps/⌈n/b⌉⌉ as scikit-learn's `n_iter_`.
 *
 * Penalties are scaled per batch as scikit-learn's `_compute_regularization(X_batch)` does: W's by
 * the batch's sample count b, H's by the feature count m (a full-batch fit scales W's by n).
 *
 * Missing values (NaN) are handled as in the full-batch MU: each batch carries its part of the
 * missing pattern, so numerators, denominators and the batch loss leave them out.
 *
 * V is read only through a {@link SampleBatchSource}, batch by batch: the losses of the start and
 * of the result and the log-likelihood are sums over the batches too (in batch order), so a fit
 * whose batches come from disk (a sample-major file, src/main/services/sample-file.ts) gives the
 * same bits as one whose batches are cut from V in memory.
 *
 * Memory: beyond V (when held), the factors, A and B (m × k each) and one batch of V (CSR: its
 * stored entries; dense: b × m). CSR batches are gathered with one cursor per row of V (samples
 * are visited in increasing order), so no transposed copy of V is ever made.
 */

/**
 * The polish's stopping test uses full-batch MU's reference min(e_init, 10·e) (fit.ts,
 * `PLATEAU_GUARD`): a random start far worse than the fit does not make it stop on a plateau.
 */
const PLATEAU_GUARD = 10;

/** Number of entries of V (m × n) stored in each column (sample). */
function columnCounts(V: CsrMatrix): Int32Array {
  const counts = new Int32Array(V.cols);
  const { indices } = V;
  for (let p = 0; p < indices.length; p++) counts[indices[p]]++;
  return counts;
}

/**
 * Batches of a CSR V (m × n) as CSR Vᵀ_b (b × m). One cursor per row of V points at the first
 * stored entry not yet handed out; batches must come in increasing order from sample 0 (a batch
 * starting at 0 resets the cursors). Cost per batch ∝ m + its stored entries, spent mostly waiting
 * on memory (each row's run is far from the last): `gather`, the native copy (split over threads,
 * runs prefetched; native/src/minibatch.inl), does it where loaded, with the same arrays and sum.
 */
function csrBatches(
  V: CsrMatrix,
  batchSize: number,
  missing: MissingPattern | null,
  gather: CsrBatchGather | null,
): Pick<SampleBatchSource, 'batch' | 'heldBytes'> {
  const m = V.rows;
  const n = V.cols;
  const counts = columnCounts(V);
  let maxStored = 0;
  for (let j0 = 0; j0 < n; j0 += batchSize) {
    let s = 0;
    for (let j = j0; j < Math.min(j0 + batchSize, n); j++) s += counts[j];
    maxStored = Math.max(maxStored, s);
  }
  const cursor = new Int32Array(m);
  const indptr = new Int32Array(batchSize + 1);
  const fill = new Int32Array(batchSize);
  const indices = new Int32Array(maxStored);
  const values = new Float64Array(maxStored);
  let expected = 0;
  return {
    heldBytes: counts.byteLength + cursor.byteLength + 8 * (batchSize + 1) + 12 * maxStored,
    batch(j0: number, j1: number): PreparedData {
      if (j0 === 0) cursor.set(V.indptr.subarray(0, m));
      else if (j0 !== expected)
        throw new RangeError(`CSR batches must be taken in order: ${j0} after ${expected}`);
      expected = j1;
      const b = j1 - j0;
      indptr[0] = 0;
      for (let r = 0; r < b; r++) indptr[r + 1] = indptr[r] + counts[j0 + r];
      let sum = 0;
      const { indptr: rowPtr, indices: cols, data: stored } = V;
      if (gather !== null) sum = gather(rowPtr, cols, stored, m, n, cursor, j0, j1, indptr, indices, values);
      else fill.set(indptr.subarray(0, b));
      for (let i = 0; gather === null && i < m; i++) {
        let p = cursor[i];
        const end = rowPtr[i + 1];
        for (; p < end; p++) {
          const j = cols[p];
          if (j >= j1) break;
          const q = fill[j - j0]++;
          indices[q] = i;
          const v = stored[p];
          values[q] = v;
          if (v === v) sum += v;
        }
        cursor[i] = p;
      }
      const count = indptr[b];
      const Vb: CsrMatrix = {
        kind: 'csr',
        rows: b,
        cols: m,
        indptr: indptr.subarray(0, b + 1),
        indices: indices.subarray(0, count),
        data: values.subarray(0, count),
      };
      return batchData(Vb, b, m, sum, missing, j0, j1);
    },
  };
}

/** Batches of a dense V (m × n) as dense Vᵀ_b (b × m), copied into one reused buffer. */
function denseBatches(
  V: DenseMatrix,
  batchSize: number,
  missing: MissingPattern | null,
): Pick<SampleBatchSource, 'batch' | 'heldBytes'> {
  const m = V.rows;
  const n = V.cols;
  const buffer = new Float64Array(batchSize * m);
  return {
    heldBytes: buffer.byteLength,
    batch(j0: number, j1: number): PreparedData {
      const b = j1 - j0;
      const d = V.data;
      let sum = 0;
      for (let i = 0; i < m; i++) {
        const row = i * n + j0;
        for (let r = 0; r < b; r++) {
          const v = d[row + r];
          buffer[r * m + i] = v;
          if (v === v) sum += v;
        }
      }
      const Vb = dense(b, m, buffer.subarray(0, b * m));
      return batchData(Vb, b, m, sum, missing, j0, j1);
    },
  };
}

/**
 * The batches of V held in memory (`data`, scanned by `prepareData`), `batchSize` samples each;
 * CSR batches cut by `gather` where given (the native copy, same bits), else in JavaScript.
 */
export function inMemoryBatches(
  data: PreparedData,
  batchSize: number,
  gather: CsrBatchGather | null = null,
): SampleBatchSource {
  const size = Math.min(batchSize, data.n);
  const cut =
    data.V.kind === 'csr'
      ? csrBatches(data.V, size, data.missing, gather)
      : denseBatches(data.V, size, data.missing);
  return { m: data.m, n: data.n, observed: data.observed, sum: data.sum, ...cut };
}

/**
 * The missing pattern of a batch Vᵀ_b (b × m) from its by-sample index (batch row r holds the
 * features `cols[rowPtr[r] .. rowPtr[r+1])`, increasing), with the by-feature index built by
 * counting, as {@link batchData} builds it from V's pattern.
 */
export function batchMissingPattern(
  rowPtr: Int32Array,
  cols: Int32Array,
  b: number,
  m: number,
): MissingPattern {
  const count = rowPtr[b];
  const colPtr = new Int32Array(m + 1);
  for (let q = 0; q < count; q++) colPtr[cols[q] + 1]++;
  for (let i = 0; i < m; i++) colPtr[i + 1] += colPtr[i];
  const rows = new Int32Array(count);
  const next = colPtr.slice(0, m);
  for (let r = 0; r < b; r++) for (let q = rowPtr[r]; q < rowPtr[r + 1]; q++) rows[next[cols[q]]++] = r;
  return { count, rowPtr, cols, colPtr, rows };
}

/**
 * Prepared data of one batch Vᵀ_b (b × m): its part of V's missing pattern (V's column j is the
 * batch's row j − j0; the by-column index is rebuilt by counting), observed count and sum. V was
 * checked as a whole (negative, infinite, zero entries) before the fit, so those fields are null.
 */
function batchData(
  Vb: DenseMatrix | CsrMatrix,
  b: number,
  m: number,
  sum: number,
  missing: MissingPattern | null,
  j0: number,
  j1: number,
): PreparedData {
  let pattern: MissingPattern | null = null;
  if (missing !== null) {
    const first = missing.colPtr[j0];
    const count = missing.colPtr[j1] - first;
    if (count > 0) {
      const rowPtr = new Int32Array(b + 1);
      for (let r = 0; r <= b; r++) rowPtr[r] = missing.colPtr[j0 + r] - first;
      pattern = batchMissingPattern(rowPtr, missing.rows.subarray(first, first + count), b, m);
    }
  }
  return preparedBatch(Vb, sum, pattern);
}

/** A batch Vᵀ_b (b × m) as prepared data, from its sum and missing pattern (V was checked whole). */
export function preparedBatch(
  Vb: DenseMatrix | CsrMatrix,
  sum: number,
  pattern: MissingPattern | null,
): PreparedData {
  const observed = Vb.rows * Vb.cols - (pattern === null ? 0 : pattern.count);
  return {
    V: Vb,
    m: Vb.rows,
    n: Vb.cols,
    missing: pattern,
    observed,
    sum,
    negative: null,
    infinite: null,
    zero: null,
  };
}

/** The minibatch settings given in `options` (resolved ones carry all of them). */
function definedOnly(options: FitOptions): Partial<MinibatchSettings> {
  const out: Partial<MinibatchSettings> = {};
  if (options.batchSize !== undefined) out.batchSize = options.batchSize;
  if (options.forgetFactor !== undefined) out.forgetFactor = options.forgetFactor;
  if (options.freshRestarts !== undefined) out.freshRestarts = options.freshRestarts;
  if (options.freshRestartsMaxIter !== undefined) out.freshRestartsMaxIter = options.freshRestartsMaxIter;
  if (options.maxNoImprovement !== undefined) out.maxNoImprovement = options.maxNoImprovement;
  if (options.innerIter !== undefined) out.innerIter = options.innerIter;
  if (options.innerTol !== undefined) out.innerTol = options.innerTol;
  if (options.finalIter !== undefined) out.finalIter = options.finalIter;
  if (options.schedule !== undefined) out.schedule = options.schedule;
  if (options.onlinePasses !== undefined) out.onlinePasses = options.onlinePasses;
  if (options.polishPasses !== undefined) out.polishPasses = options.polishPasses;
  return out;
}

/**
 * D_KL(V_b ‖ H_bᵀ-side product) of a CSR batch without missing values, as `divergenceOf` defines it
 * (scikit-learn's `_beta_divergence` for β = 1): Σ_{v > EPS32} v·log(v / wh) + Σ_all WH − Σ_{v > EPS32} v,
 * wh = EPS32 where 0, Σ_all WH = Σ_t (Σ_r HtB[r,t])·(Σ_i W[i,t]). The stored entries' terms come
 * from the kernel set's `csrRowLosses` (per batch row, then the rows in order, as `divergenceOf`
 * sums them); the rest is a tight loop: this loss is evaluated on every batch (for the
 * early-stopping cost) and the general routine cost as much as the two updates together on
 * 2000-gene count data.
 * @param Vb b × m CSR batch (our Vᵀ_b); HtB b × k; W m × k
 */
function klBatchLoss(
  Vb: CsrMatrix,
  HtB: Float64Array,
  W: Float64Array,
  k: number,
  kernels: NmfKernels,
): number {
  const { indptr, indices, data, rows: b, cols: m } = Vb;
  const rowSums = new Float64Array(2 * b);
  kernels.csrRowLosses(indptr, indices, data, b, m, k, HtB, W, rowSums);
  let keptA = 0;
  let keptB = 0;
  for (let r = 0; r < b; r++) {
    keptA += rowSums[2 * r];
    keptB += rowSums[2 * r + 1];
  }
  let sumWH = 0;
  for (let t = 0; t < k; t++) {
    let h = 0;
    for (let r = 0; r < b; r++) h += HtB[r * k + t];
    let w = 0;
    for (let i = 0; i < m; i++) w += W[i * k + t];
    sumWH += h * w;
  }
  return keptA + (sumWH - keptB);
}

function sumOf(F: Float64Array): number {
  let s = 0;
  for (let q = 0; q < F.length; q++) s += F[q];
  return s;
}

function sumOfSquares(F: Float64Array): number {
  let s = 0;
  for (let q = 0; q < F.length; q++) s += F[q] * F[q];
  return s;
}

/**
 * The online W update (scikit-learn's `_multiplicative_update_h` with A, B and ρ), in its order:
 * den += l1, den += l2·W, den = EPS32 where 0; A ← ρA + num·W^(1/γ); B ← ρB + den;
 * W ← (A/B)^γ, set to 0 below `threshold`. W, A, B, num, den: m × k.
 */
function onlineUpdate(
  W: Float64Array,
  A: Float64Array,
  B: Float64Array,
  num: Float64Array,
  den: Float64Array,
  l1: number,
  l2: number,
  gamma: number,
  rho: number,
  threshold: number,
): void {
  for (let q = 0; q < W.length; q++) {
    let d = den[q];
    if (l1 > 0) d += l1;
    if (l2 > 0) d = d + l2 * W[q];
    if (d === 0) d = EPS32;
    const w = gamma !== 1 ? W[q] ** (1 / gamma) : W[q];
    A[q] = A[q] * rho + num[q] * w;
    B[q] = B[q] * rho + d;
    let updated = A[q] / B[q];
    if (gamma !== 1) updated = updated ** gamma;
    W[q] = updated < threshold ? 0 : updated;
  }
}

/** ‖A − B‖_F / ‖A‖_F (scikit-learn's `H_diff` and `W_diff`). */
function relativeChange(A: Float64Array, B: Float64Array): number {
  let diff = 0;
  let norm = 0;
  for (let q = 0; q < A.length; q++) {
    const d = A[q] - B[q];
    diff += d * d;
    norm += A[q] * A[q];
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/**
 * The minibatch fit loop (see the top of this file) from the start W (m × k) and Ht (n × k), both
 * updated in place. `options` are resolved (`solver: 'minibatch'`); `started` is the fit's start
 * time (ms) for `seconds` and progress.
 *
 * Trace: [0, loss of the start], then one [pass, pass loss] per completed online pass, the pass
 * loss being Σ over its batches of D_β(V_b ‖ W H_b) at each batch's visit (W as it then stood: the
 * online estimate of the loss, at no extra cost), then [pass, exact loss] every `checkEvery` polish
 * passes; the last point is the exact D_β(V ‖ WH) of the returned factors. Progress is reported
 * once per pass; cancellation is read before every batch.
 */
export function fitMinibatchPrepared(
  data: PreparedData,
  options: FitOptions,
  W: Float64Array,
  Ht: Float64Array,
  hooks: FitHooks,
  started: number,
): FitResult {
  // The native batch gather when the fit's kernels are the native ones (on their threads).
  const kernels = hooks.kernels;
  const gather = kernels?.backend === 'native' ? nativeBatchGather(kernels.threads) : null;
  return fitMinibatchFromSource(
    inMemoryBatches(data, minibatchBatchSize(options, data.n), gather),
    options,
    W,
    Ht,
    hooks,
    started,
  );
}

/** The batch size a minibatch fit of n samples uses: the asked one (or the default), at most n. */
export function minibatchBatchSize(options: Pick<FitOptions, 'batchSize'>, n: number): number {
  return Math.min(options.batchSize ?? MINIBATCH_DEFAULTS.batchSize, n);
}

/**
 * {@link fitMinibatchPrepared} on batches from `source` (of the fit's batch size,
 * {@link minibatchBatchSize}). `memory` is charged with the fit's own arrays and the source's
 * buffers (V held elsewhere is the caller's to count).
 */
export function fitMinibatchFromSource(
  source: SampleBatchSource,
  options: FitOptions,
  W: Float64Array,
  Ht: Float64Array,
  hooks: FitHooks,
  started: number,
  memory: MemoryAccount = new MemoryAccount(),
): FitResult {
  const { m, n } = source;
  const k = options.rank;
  const beta = options.beta;
  const settings = { ...MINIBATCH_DEFAULTS, ...definedOnly(options) };
  const batchSize = Math.min(settings.batchSize, n);
  const rho = settings.forgetFactor ** (batchSize / n);
  const gamma = muExponent(beta);
  const stepsPerPass = Math.ceil(n / batchSize);
  const refined = settings.schedule === 'refined';
  const onlineSteps =
    (refined ? Math.min(options.maxIter, settings.onlinePasses) : options.maxIter) * stepsPerPass;
  // MU steps of a batch's H per visit and the change that ends them early (scikit-learn: one).
  const hSteps = refined ? settings.innerIter : 1;
  const hTol = refined ? settings.innerTol : 0;
  memory.hold('batch source buffers', source.heldBytes);
  memory.hold('W and H', 8 * (W.length + Ht.length));
  const workspaces = new Map<number, Workspace>();
  const workspaceFor = (batch: PreparedData): Workspace => {
    const stored = batch.V.kind === 'csr' ? batch.V.data.length : 0;
    let ws = workspaces.get(batch.m);
    if (ws === undefined || ws.ratio.length < stored) {
      ws = createWorkspace(batch.m, m, k, Math.max(stored, ws?.ratio.length ?? 0), hooks.kernels);
      workspaces.set(batch.m, ws);
      let bytes = 0;
      for (const each of workspaces.values()) bytes += workspaceBytes(each);
      memory.hold('batch workspaces', bytes);
    }
    return ws;
  };
  const lossKernels = hooks.kernels ?? selectKernels();
  const batchLoss = (batch: PreparedData, HtB: Float64Array): number =>
    beta === 1 && batch.V.kind === 'csr' && batch.missing === null
      ? klBatchLoss(batch.V, HtB, W, k, lossKernels)
      : divergenceOf(batch, HtB, W, k, beta, hooks.kernels);
  /** D_β(V ‖ WH) as the sum over the batches, in order, of each batch's loss. */
  const lossByBatches = (): number => {
    let total = 0;
    for (let j0 = 0; j0 < n; j0 += batchSize) {
      const j1 = Math.min(j0 + batchSize, n);
      total += batchLoss(source.batch(j0, j1), Ht.subarray(j0 * k, j1 * k));
    }
    return total;
  };
  // Penalties on the batch problem in scikit-learn's orientation ("W" = H_b, "H" = our W).
  const penaltiesFor = (b: number): { l1H: number; l2H: number; l1W: number; l2W: number } => ({
    l1H: options.l1H * m,
    l2H: options.l2H * m,
    l1W: options.l1W * b,
    l2W: options.l2W * b,
  });
  // The online step's floors, scikit-learn's: its W (our H) below EPS64 for β < 1, its H (our W)
  // for β ≤ 1; full-batch MU's (the polish, the final solve) are the other way round.
  const thresholdH = beta < 1 ? EPS64 : 0;
  const thresholdW = beta <= 1 ? EPS64 : 0;
  const floorH = beta <= 1 ? EPS64 : 0;
  const floorW = beta < 1 ? EPS64 : 0;

  // W's column sums, the KL H step's denominator, kept while W is unchanged (`wVersion`): the
  // refined schedule takes up to 3 H steps per batch with W fixed (30 in the final solve), and
  // summing W's m × k entries again for each was ~3 % of the fit at 10⁵ cells.
  let wVersion = 0;
  let wSumsVersion = -1;
  const wSums = new Float64Array(k);
  /**
   * numW and denW of the H step on `batch` (scikit-learn's orientation: "W" = H_b, "Ht" = W), as
   * `muNumDenW` makes them: for KL without missing values the same kernel call and W's column sums
   * (kept between steps), otherwise `muNumDenW` itself.
   */
  const hStepNumDen = (batch: PreparedData, HtB: Float64Array, ws: Workspace): void => {
    if (beta !== 1 || batch.missing !== null) {
      muNumDenW(batch, HtB, W, k, beta, ws);
      return;
    }
    const { V, m: b } = batch;
    const { numW, denW, kernels } = ws;
    if (V.kind === 'dense') kernels.klNumWDense(V.data, b, m, k, HtB, W, numW, ws.rowA);
    else kernels.klNumWCsr(V.indptr, V.indices, V.data, b, m, k, HtB, W, numW, ws.rowA, ws.ratio);
    if (wSumsVersion !== wVersion) {
      columnSums(W, m, k, wSums);
      wSumsVersion = wVersion;
    }
    for (let r = 0; r < b; r++) denW.set(wSums, r * k);
  };

  /** H_b from a flat start, W fixed (scikit-learn's `_solve_W`): up to maxSteps MU steps. */
  const solveBatchH = (batch: PreparedData, HtB: Float64Array, maxSteps: number, ws: Workspace): void => {
    const pen = penaltiesFor(batch.m);
    HtB.fill(Math.sqrt(observedMean(batch) / k));
    const previous = Float64Array.from(HtB);
    for (let s = 0; s < maxSteps; s++) {
      hStepNumDen(batch, HtB, ws);
      multiplicativeUpdate(HtB, ws.numW, ws.denW, HtB.length, pen.l1H, pen.l2H, gamma, 0);
      if (options.tol > 0 && relativeChange(HtB, previous) <= options.tol) break;
      previous.set(HtB);
    }
  };

  /**
   * Up to `maxSteps` MU steps of H_b from its current value, W fixed, stopping once the relative
   * change of H_b in a step is ≤ `tolerance` (0: all steps). One step is scikit-learn's schedule.
   */
  const refineBatchH = (
    batch: PreparedData,
    HtB: Float64Array,
    maxSteps: number,
    tolerance: number,
    ws: Workspace,
  ): void => {
    const pen = penaltiesFor(batch.m);
    for (let s = 0; s < maxSteps; s++) {
      if (tolerance > 0) scratchH.set(HtB);
      hStepNumDen(batch, HtB, ws);
      multiplicativeUpdate(HtB, ws.numW, ws.denW, HtB.length, pen.l1H, pen.l2H, gamma, 0);
      if (tolerance > 0 && relativeChange(HtB, scratchH.subarray(0, HtB.length)) <= tolerance) break;
    }
  };
  const scratchH = new Float64Array(batchSize * k);
  memory.hold("a batch's H before its step", scratchH.byteLength);

  const initLoss = lossByBatches();
  const trace: Array<[number, number]> = [[0, initLoss]];
  // When each trace point was reached (seconds since `started`), kept beside the trace point for point.
  const traceSeconds: number[] = [(now() - started) / 1000];
  const traced = (): void => void traceSeconds.push((now() - started) / 1000);
  const A = Float64Array.from(W);
  const B = new Float64Array(m * k).fill(1);
  const previousW = Float64Array.from(W);
  memory.hold('online statistics A, B and the previous W', 3 * 8 * m * k);
  let ewaCost: number | null = null;
  let ewaCostMin: number | null = null;
  let noImprovement = 0;
  let converged = false;
  let passLoss = 0;
  let passes = 0;
  let steps = 0;
  // Progress counts against the passes the schedule can run: the refined schedule stops after its
  // online and polish passes (25 by default) whatever `maxIter` (500 by default) allows, and a
  // bound of 500 would make the time left twenty times too long.
  const passBound = refined
    ? Math.min(options.maxIter, settings.onlinePasses + settings.polishPasses)
    : options.maxIter;
  const passDone = (loss: number): void => {
    hooks.onProgress?.({ iteration: passes, maxIter: passBound, loss, elapsedMs: now() - started });
  };
  for (let step = 0; step < onlineSteps; step++) {
    if (hooks.isCancelled?.() === true) throw new FitCancelledError(passes);
    const j0 = (step % stepsPerPass) * batchSize;
    const j1 = Math.min(j0 + batchSize, n);
    const b = j1 - j0;
    const batch = source.batch(j0, j1);
    const ws = workspaceFor(batch);
    const HtB = Ht.subarray(j0 * k, j1 * k);
    const pen = penaltiesFor(b);

    if (settings.freshRestarts) solveBatchH(batch, HtB, settings.freshRestartsMaxIter, ws);
    else refineBatchH(batch, HtB, hSteps, hTol, ws);
    // scikit-learn's `W[W < eps] = 0` for β < 1 (its W is our H), after either update.
    if (thresholdH > 0) for (let q = 0; q < HtB.length; q++) if (HtB[q] < thresholdH) HtB[q] = 0;

    const lossOfBatch = batchLoss(batch, HtB);
    passLoss += lossOfBatch;
    // The refined schedule has no per-step stopping test (see below): no batch cost either.
    const batchCost = refined
      ? 0
      : (lossOfBatch +
          pen.l1H * sumOf(HtB) +
          pen.l1W * sumOf(W) +
          pen.l2H * sumOfSquares(HtB) +
          pen.l2W * sumOfSquares(W)) /
        b;

    muNumDenH(batch, HtB, W, k, beta, ws);
    onlineUpdate(W, A, B, ws.numHt, ws.denHt, pen.l1W, pen.l2W, gamma, rho, thresholdW);
    wVersion++;
    steps = step + 1;

    // scikit-learn's `_minibatch_convergence`; the first step is skipped (W not yet updated there).
    // The refined schedule leaves it out: its online passes are few and bounded, and on small
    // batches the per-step tests stop on the noise of the batch cost (see the top of this file).
    if (!refined && steps > 1) {
      const alpha = Math.min(b / (n + 1), 1);
      ewaCost = ewaCost === null ? batchCost : ewaCost * (1 - alpha) + batchCost * alpha;
      if (options.tol > 0 && relativeChange(W, previousW) <= options.tol) converged = true;
      else {
        if (ewaCostMin === null || ewaCost < ewaCostMin) {
          noImprovement = 0;
          ewaCostMin = ewaCost;
        } else noImprovement++;
        if (settings.maxNoImprovement !== null && noImprovement >= settings.maxNoImprovement)
          converged = true;
      }
    }
    if (!refined) previousW.set(W);

    if (j1 === n) {
      passes++;
      trace.push([passes, passLoss]);
      traced();
      passDone(passLoss);
      passLoss = 0;
    }
    if (converged) break;
  }
  memory.release('online statistics A, B and the previous W');

  if (refined && passes < options.maxIter && settings.polishPasses > 0) {
    // Full-batch MU from the online factors, one pass over the batches per iteration: each batch's
    // H_b takes one MU step with W fixed, then W's numerator and denominator are summed over the
    // batches (in order) and W takes its MU step. The online W carries the noise of its batches and
    // the weight of early, poor statistics; these exact steps remove both. Stops by full-batch MU's
    // rule (fit.ts): every `checkEvery` iterations, (e_prev − e)/min(e_init, 10·e) < tol with
    // e = sqrt(2·D_β), e_init from the start of the fit.
    const numSum = new Float64Array(m * k);
    const denSum = new Float64Array(m * k);
    memory.hold('W numerator and denominator sums (polish)', 2 * 8 * m * k);
    const errorInit = Math.sqrt(2 * Math.max(initLoss, 0));
    let previousError = Math.sqrt(2 * Math.max(trace[trace.length - 1][1], 0));
    // The whole data's penalty scaling, as a full-batch fit's: W's by n.
    const l1W = options.l1W * n;
    const l2W = options.l2W * n;
    let polished = 0;
    while (passes < options.maxIter && polished < settings.polishPasses) {
      numSum.fill(0);
      denSum.fill(0);
      for (let j0 = 0; j0 < n; j0 += batchSize) {
        if (hooks.isCancelled?.() === true) throw new FitCancelledError(passes);
        const j1 = Math.min(j0 + batchSize, n);
        const batch = source.batch(j0, j1);
        const ws = workspaceFor(batch);
        const HtB = Ht.subarray(j0 * k, j1 * k);
        const pen = penaltiesFor(j1 - j0);
        hStepNumDen(batch, HtB, ws);
        // Full-batch MU's floors (muIteration in solvers.ts): H below EPS64 for β ≤ 1, W for β < 1.
        multiplicativeUpdate(HtB, ws.numW, ws.denW, HtB.length, pen.l1H, pen.l2H, gamma, floorH);
        muNumDenH(batch, HtB, W, k, beta, ws);
        for (let q = 0; q < numSum.length; q++) {
          numSum[q] += ws.numHt[q];
          denSum[q] += ws.denHt[q];
        }
      }
      multiplicativeUpdate(W, numSum, denSum, m * k, l1W, l2W, gamma, floorW);
      wVersion++;
      passes++;
      polished++;
      let loss = trace[trace.length - 1][1];
      if (polished % options.checkEvery === 0) {
        loss = lossByBatches();
        trace.push([passes, loss]);
        traced();
        if (options.tol > 0) {
          const error = Math.sqrt(2 * Math.max(loss, 0));
          const reference = Math.min(errorInit, PLATEAU_GUARD * error);
          if (reference === 0 || (previousError - error) / reference < options.tol) converged = true;
          previousError = error;
        }
      }
      passDone(loss);
      if (converged) break;
    }
    // The schedule is complete when its polish ran its passes (or stopped by MU's rule first).
    if (polished === settings.polishPasses) converged = true;
    memory.release('W numerator and denominator sums (polish)');
  }

  const wantLoglik = beta === 1 && options.loglik;
  // The final loss and log-likelihood, when read in the final solve's pass (null: read below).
  let finalLoss: number | null = null;
  let finalLoglik: number | null = null;
  if (refined && settings.finalIter > 0) {
    // H solved for the returned W over all samples (what `transform` gives), from the last H: the
    // per-sample problems are independent, so batch by batch, each until it settles. W no longer
    // changes, so each batch's final H is known once its solve ends: its loss and log-likelihood
    // are read then, from the batch in hand, summed in batch order as `lossByBatches` sums them
    // (same bits), instead of two more passes over V (a gather of every batch each).
    let lossSum = 0;
    let loglikSum = 0;
    for (let j0 = 0; j0 < n; j0 += batchSize) {
      if (hooks.isCancelled?.() === true) throw new FitCancelledError(passes);
      const j1 = Math.min(j0 + batchSize, n);
      const batch = source.batch(j0, j1);
      const HtB = Ht.subarray(j0 * k, j1 * k);
      refineBatchH(batch, HtB, settings.finalIter, hTol, workspaceFor(batch));
      if (floorH > 0) for (let q = 0; q < HtB.length; q++) if (HtB[q] < floorH) HtB[q] = 0;
      lossSum += batchLoss(batch, HtB);
      if (wantLoglik) loglikSum += logLikelihoodOf(batch, HtB, W, k, hooks.kernels);
    }
    finalLoss = lossSum;
    finalLoglik = wantLoglik ? loglikSum : null;
  }

  if (settings.freshRestarts && !refined) {
    // scikit-learn's final `_solve_W(X, H, transform_max_iter)` over all samples: the per-sample
    // problems are independent, so it runs batch by batch with the stopping test over all of H.
    const mean = source.observed > 0 ? source.sum / source.observed : 0;
    Ht.fill(Math.sqrt(mean / k));
    const previous = Float64Array.from(Ht);
    memory.hold('previous H (final solve)', previous.byteLength);
    for (let s = 0; s < options.maxIter; s++) {
      if (hooks.isCancelled?.() === true) throw new FitCancelledError(passes);
      for (let j0 = 0; j0 < n; j0 += batchSize) {
        const j1 = Math.min(j0 + batchSize, n);
        const batch = source.batch(j0, j1);
        const ws = workspaceFor(batch);
        const HtB = Ht.subarray(j0 * k, j1 * k);
        const pen = penaltiesFor(j1 - j0);
        hStepNumDen(batch, HtB, ws);
        // The penalties of the whole X (`_compute_regularization(X)`): H's scale by m only.
        multiplicativeUpdate(HtB, ws.numW, ws.denW, HtB.length, pen.l1H, pen.l2H, gamma, 0);
      }
      if (options.tol > 0 && relativeChange(Ht, previous) <= options.tol) break;
      previous.set(Ht);
    }
  }

  const iterations = refined ? passes : steps === 0 ? 0 : Math.ceil(steps / stepsPerPass);
  const loss = finalLoss ?? lossByBatches();
  if (trace[trace.length - 1][0] === iterations) {
    trace.pop();
    traceSeconds.pop();
  }
  trace.push([iterations, loss]);
  traced();
  const warnings: string[] = [];
  if (!converged && options.maxIter > 0 && options.tol > 0) {
    warnings.push(`maxIter (${options.maxIter} passes) reached before convergence (tol ${options.tol})`);
  }
  let loglik: number | null = finalLoglik;
  if (wantLoglik && loglik === null) {
    loglik = 0;
    for (let j0 = 0; j0 < n; j0 += batchSize) {
      const j1 = Math.min(j0 + batchSize, n);
      loglik += logLikelihoodOf(source.batch(j0, j1), Ht.subarray(j0 * k, j1 * k), W, k, hooks.kernels);
    }
  }
  const { W0: _w0, H0: _h0, ...used } = options;
  // H is returned k × n: a second n × k array while it is transposed.
  memory.hold('H transposed for the result', 8 * n * k);
  return {
    W: dense(m, k, W),
    H: transpose(dense(n, k, Ht)),
    iterations,
    converged,
    loss,
    loglik,
    trace,
    traceSeconds,
    seconds: (now() - started) / 1000,
    options: used,
    warnings,
  };
}

/** Bytes of a workspace's typed arrays. */
function workspaceBytes(ws: Workspace): number {
  let bytes = 0;
  for (const value of Object.values(ws)) if (ArrayBuffer.isView(value)) bytes += value.byteLength;
  return bytes;
}
