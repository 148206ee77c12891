/**
 * The kernel contract of the NMF engine: every hot loop the solvers (../solvers.ts, ../als.ts), the
 * losses (../divergence.ts) and the start (../init.ts) run, one method each, over plain
 * Float64Array buffers and explicit dimensions. A fit computes with one `NmfKernels` set, built for
 * it by `selectKernels` (./select.ts) and passed in `FitHooks.kernels`; nothing about the backend
 * is process state.
 *
 * Implementations: the scalar reference (./scalar.ts, the source of truth), WebAssembly SIMD on one
 * thread or split over a kernel team (./wasm.ts over ../wasm), and the native C++ kernels
 * (./native.ts over native/src). An adapter serves the kernels its backend has and takes every
 * other one from the set it wraps, so every set has every method.
 *
 * Layout (all row-major):
 *   V   m × n   dense data, or CSR (indptr: m + 1, indices/data: nnz, indices sorted in each row).
 *               NaN marks a missing entry.
 *   W   m × k   loadings
 *   Ht  n × k   Hᵀ: the engine keeps H transposed, so column j of H is the contiguous row
 *               Ht[j·k … j·k + k) and (WH)_ij = W_i · Ht_j is a dot product of two contiguous rows.
 * No kernel forms an m × n temporary. Output arguments are overwritten unless said otherwise.
 * Scratch arguments are the caller's, so a kernel allocates nothing per call.
 *
 * ## The bit rules (every implementation, every thread count)
 *
 * These rules are why a fit gives the same bits on every backend and at every thread count; they
 * are stated here once, and the other sources (the AssemblyScript in ../wasm/assembly, the C++ in
 * native/src, the team in ../wasm/team.ts) point here. `__tests__/conformance.test.ts` holds every
 * available backend to the scalar reference with `Object.is`, kernel by kernel.
 *
 * 1. **The scalar order is the order.** Each output entry is a sum whose terms are added one at a
 *    time in the order the scalar reference adds them (j ascending within a row of V, rows i
 *    ascending, components in the order written; `rowProducts` adds four components per step as
 *    acc + (((w0·h0 + w1·h1) + w2·h2) + w3·h3), exactly as its source groups them). Changing the
 *    order of a scalar sum changes bits: change the matching loop of every backend with it.
 * 2. **Vector lanes run across independent outputs**, never across the terms of one sum (across j
 *    for a row of WH, across t for the k-vectors, across output rows for threads).
 * 3. **No fused multiply-add** and no re-association: a·b + c is rounded twice, as JavaScript does.
 * 4. **Threads split outputs, never a sum.** A part owns whole output rows and adds their terms in
 *    the one-thread order; a scalar that sums over rows (the coordinate-descent violation, the loss
 *    rows) is summed per row and then over rows in row order by the calling thread. The KL loss
 *    follows this on CSR V as on dense V (`csrRowLosses`: each row's stored entries in stored order,
 *    then the rows in row order), so its rows too can be split; the general-β and β = 0 losses on
 *    CSR V stay one running sum in JavaScript. The Poisson log-likelihood on dense V follows it too
 *    (`rowLosses` kinds 3 and 4: each row's Σ_{V > 0} (V·log(WH) − log Γ(V + 1)) in column order,
 *    then the rows in row order, then − Σ WH from the column sums); it was one running sum over
 *    the whole matrix, so its last bits changed once when it became a per-row sum.
 *    The β = 0 and general-β loss sums on dense V (`betaLossSums`) stay three running sums over
 *    the whole matrix, so the native ones run on the calling thread.
 * 5. **Skips are exact.** Coefficients that are not > 0 (zeros and NaN, i.e. missing entries) are
 *    skipped or masked to +0, which adds nothing; `gram` skips a_s = 0 rows, as the reference does.
 * 6. **Transcendentals are JavaScript's.** Powers and logs per entry are `Math.pow`/`Math.log`
 *    (the native losses, dense and CSR, use fdlibm's log, which is V8's; the native general-β
 *    terms, dense and CSR, and loss sums, dense, use a port of fdlibm's pow, which is V8's
 *    Math.pow, held to it bit for bit by `__tests__/native-beta.test.ts`; the CSR β loss stays in
 *    JavaScript). log Γ is `logGamma`'s (src/shared/linalg/random.ts: log-factorial running sums
 *    to 171, then Lanczos), which the native losses repeat operation for operation.
 */

/** The buffers of V a kernel reads: dense values (m × n), or CSR arrays. */
export type DataArrays =
  | { kind: 'dense'; data: Float64Array }
  | { kind: 'csr'; indptr: Int32Array; indices: Int32Array; data: Float64Array };

/** Which implementation serves most of a set ('native': the dense products; the rest as 'wasm'). */
export type KernelBackendName = 'js' | 'wasm' | 'native';

/** One kernel set: every hot loop of a fit. Shapes as in the file comment. */
export interface NmfKernels {
  /** The backend serving the dense products ('native'), else 'wasm' or 'js'. */
  readonly backend: KernelBackendName;
  /** The most threads this set may split one call over (1: never split). */
  readonly threads: number;
  /** The most threads any call of this set has actually run on so far (1 while nothing was split). */
  threadsUsed(): number;

  // Products with V ----------------------------------------------------------------------------

  /** out (m × k) = V · F for dense V (m × n), F (n × k); NaN entries of V count as 0. */
  denseTimes(V: Float64Array, m: number, n: number, F: Float64Array, k: number, out: Float64Array): void;
  /** out (n × k) = Vᵀ · W for dense V (m × n), W (m × k); NaN entries of V count as 0. */
  denseTransposeTimes(
    V: Float64Array,
    m: number,
    n: number,
    W: Float64Array,
    k: number,
    out: Float64Array,
  ): void;
  /** out (m × k) = V · F for CSR V (m × n), F (n × k); stored NaN count as 0. Cost nnz·k. */
  csrTimes(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    F: Float64Array,
    k: number,
    out: Float64Array,
  ): void;
  /** out (n × k) = Vᵀ · W for CSR V (m × n), W (m × k); stored NaN count as 0. Cost nnz·k. */
  csrTransposeTimes(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    W: Float64Array,
    k: number,
    out: Float64Array,
  ): void;

  // Small dense products -----------------------------------------------------------------------

  /** out (k × k) = Aᵀ A for A (rows × k), each entry summed in row order. */
  gram(A: Float64Array, rows: number, k: number, out: Float64Array): void;
  /** out (rows × k) = A · G for A (rows × k), G (k × k), each entry summed in component order. */
  timesSmall(A: Float64Array, rows: number, k: number, G: Float64Array, out: Float64Array): void;
  /**
   * The randomized SVD's re-orthonormalisation of the l columns of Q (rows × l) in place: modified
   * Gram–Schmidt twice, each column projected off the earlier ones in order, each dot product
   * summed in row order (`orthonormalizeColumns` of ../../linalg/svd.ts is the reference).
   */
  orthonormalizeColumns(Q: Float64Array, rows: number, l: number): void;
  /**
   * The randomized SVD's one-sided Jacobi sweeps on At (cols × rows) and Vt (cols × cols) in place,
   * each pair's dot products summed in row order (`jacobiSweeps` of ../../linalg/svd.ts is the
   * reference).
   */
  jacobiSweeps(At: Float64Array, Vt: Float64Array, rows: number, cols: number): void;

  // Kullback–Leibler (β = 1) MU numerators -----------------------------------------------------

  /**
   * numW (m × k) = (V ⊘ WH) · Hᵀ for dense V, WH = 0 → EPS32 where V > 0 (scikit-learn's
   * `WH_safe`); zero and NaN entries contribute nothing. `row`: scratch of length n.
   */
  klNumWDense(
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    numW: Float64Array,
    row: Float64Array,
  ): void;
  /** numHt (n × k) = (Wᵀ (V ⊘ WH))ᵀ for dense V, the mirror of `klNumWDense`. `row`: length n. */
  klNumHDense(
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    numHt: Float64Array,
    row: Float64Array,
  ): void;
  /**
   * `klNumWDense` for CSR V, cost ∝ nnz·k. A row with more than n/3 stored entries takes (WH)_ij
   * from a whole row of WH, a sparser one from one dot product per entry (two roundings: every
   * backend makes the same choice per row). `row`: length n; `ratio`: length nnz.
   */
  klNumWCsr(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    numW: Float64Array,
    row: Float64Array,
    ratio: Float64Array,
  ): void;
  /** `klNumHDense` for CSR V; scratch as `klNumWCsr`. */
  klNumHCsr(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    numHt: Float64Array,
    row: Float64Array,
    ratio: Float64Array,
  ): void;

  // General β (β ∉ {1, 2}) MU terms --------------------------------------------------------------

  /**
   * The W-step terms for general β (Févotte & Idier 2011, scikit-learn's rules):
   *   numW (m × k) = (V ⊙ WHs^(β−2)) · Hᵀ,   denW (m × k) = WHd^(β−1) · Hᵀ,
   * missing entries left out of both (WHs: zeros → EPS32 when β < 2; WHd: when β < 1). `num`,
   * `den`: scratch rows of length n; `scratch`: length ≥ the longest CSR row (unused when dense).
   */
  betaW(
    V: DataArrays,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    beta: number,
    numW: Float64Array,
    denW: Float64Array,
    num: Float64Array,
    den: Float64Array,
    scratch: Float64Array,
  ): void;
  /** The H-step mirror of `betaW`: numHt, denHt (n × k). */
  betaH(
    V: DataArrays,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    beta: number,
    numHt: Float64Array,
    denHt: Float64Array,
    num: Float64Array,
    den: Float64Array,
    scratch: Float64Array,
  ): void;

  // Missing-value denominators and coordinate descent --------------------------------------------

  /**
   * Masked KL denominators: out (rows × k), row r = total (k) − Σ over r's missing partners o of
   * F_o (F: others × k), clamped at 0. `ptr`/`idx`: each row's missing partners, sorted.
   */
  maskedSums(
    out: Float64Array,
    rows: number,
    F: Float64Array,
    others: number,
    k: number,
    total: Float64Array,
    ptr: Int32Array,
    idx: Int32Array,
  ): void;
  /**
   * One coordinate-descent sweep over the rows of F (rows × k), in place, with G (k × k) and
   * B (rows × k) frozen, components in `order` (scikit-learn's `_update_cdnmf_fast`). Returns the
   * projected-gradient violation Σ|pg|, summed per row and then over rows in row order.
   */
  cdSweep(
    F: Float64Array,
    rows: number,
    k: number,
    G: Float64Array,
    B: Float64Array,
    order: Int32Array,
  ): number;
  /**
   * Weighted coordinate descent over F (rows × k) against O (others × k): row r's Gram matrix is
   * Σ over its observed partners of O_o O_oᵀ (+ l2·I), formed from G = OᵀO + l2·I minus the missing
   * partners, or from the observed ones when most are missing (upper triangle, then mirrored).
   * `ptr`/`idx`: missing partners per row, sorted; `rowGram`: scratch k × k. Returns Σ|pg|.
   */
  maskedSweep(
    F: Float64Array,
    rows: number,
    O: Float64Array,
    others: number,
    k: number,
    G: Float64Array,
    B: Float64Array,
    l2: number,
    ptr: Int32Array,
    idx: Int32Array,
    order: Int32Array,
    rowGram: Float64Array,
  ): number;

  // Fused half-iterations (dense V, no missing entries) -------------------------------------------

  /**
   * One half of a HALS iteration on dense V (m × n): exactly these calls of this set, in this
   * order, so its bits are theirs (./fused.ts is the sequence):
   *   side 0 (F = W, m × k; O = Ht, n × k): denseTimes(V, m, n, O, k, B); B −= l1 (when l1 ≠ 0);
   *     gram(O, n, k, G); G_tt += l2 (when l2 ≠ 0); return cdSweep(F, m, k, G, B, order);
   *   side 1 (F = Ht, n × k; O = W, m × k): denseTransposeTimes(V, m, n, O, k, B); the same with
   *     gram(O, m, k, G) and cdSweep(F, n, k, G, B, order).
   * B (rows of F × k) and G (k × k) are scratch and end as those calls leave them. One native call
   * instead of three (src/shared/nmf/solvers.ts, `halsIteration`). Returns Σ|projected gradient|.
   */
  halsHalf(
    side: 0 | 1,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    F: Float64Array,
    O: Float64Array,
    B: Float64Array,
    G: Float64Array,
    order: Int32Array,
    l1: number,
    l2: number,
  ): number;
  /**
   * One half of a KL (β = 1) multiplicative-update iteration on dense V (m × n) without missing
   * entries, exactly as these calls: side 0: klNumWDense(V, m, n, k, W, Ht, num, row); sums =
   * columnSums(Ht); every row of den (m × k) = sums; multiplicativeUpdate(W, num, den, m·k, l1,
   * l2, 1, threshold). Side 1: klNumHDense(…, num, row); sums = columnSums(W) with zeros replaced
   * by 1; den (n × k) rows = sums; multiplicativeUpdate(Ht, num, den, n·k, l1, l2, 1, threshold).
   * num, den (rows × k), sums (k) and row (n) are scratch (a native set fills only num).
   */
  klHalf(
    side: 0 | 1,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    num: Float64Array,
    den: Float64Array,
    sums: Float64Array,
    row: Float64Array,
    l1: number,
    l2: number,
    threshold: number,
  ): void;

  // Rows of WH for the losses -------------------------------------------------------------------

  /**
   * Calls `visit(i, wh, at)` for every row i of WH (W: m × k, Ht: n × k) in order, with
   * (WH)_ij = wh[at + j], summed as `rowProducts` sums it. `wh` is valid only during the call and
   * the visitor must not call another kernel of the set.
   */
  whRows(
    W: Float64Array,
    Ht: Float64Array,
    m: number,
    n: number,
    k: number,
    visit: (i: number, wh: Float64Array, at: number) => void,
  ): void;
  /**
   * Per-row loss sums on dense V into `sums` (2m; row i at 2i, 2i + 1), each row in column order:
   * kind 1 (KL) Σ V·log(V/WHs) and Σ V over V > EPS32 (WHs: WH, EPS32 where WH = 0);
   * kind 2 (Frobenius) Σ (V − WH)² over observed entries, and 0;
   * kind 3 (KL and the Poisson log-likelihood in one read of V and WH; `sums` 3m, row i at 3i …
   * 3i + 2): kind 1's two sums, then Σ_{V > 0} (V·log(WH) − log Γ(V + 1)) with logGamma's bits
   * (src/shared/linalg/random.ts), each entry's term added in column order;
   * kind 4: kind 3 with the first two sums left 0 (the log-likelihood alone).
   */
  rowLosses(
    kind: 1 | 2 | 3 | 4,
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    sums: Float64Array,
  ): void;

  /**
   * The sums of the β = 0 and general-β (β ∉ {1, 2}) losses on dense V into `sums` (3), each one
   * running sum over the observed entries in row-major order (never split: rule 4), with (WH)_ij as
   * `whRows` gives it and WHs = WH, EPS32 where WH = 0:
   *   sums[0] = Σ_{V > EPS32} V/WHs (β = 0), else Σ_{V > EPS32} V^β;
   *   sums[1] = Σ_{V > EPS32} log(V/WHs) (β = 0), else Σ_{V > EPS32} V·WHs^(β−1);
   *   sums[2] = Σ over observed entries of WH^β (0 when β = 0),
   * logs and powers as `Math.log` and `powBy` (../divergence.ts combines them).
   */
  betaLossSums(
    V: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    beta: number,
    sums: Float64Array,
  ): void;

  /**
   * Per-row KL loss sums on CSR V into `sums` (2m; row i at 2i, 2i + 1): Σ V·log(V/WHs) and Σ V
   * over the stored V > EPS32 of row i, in stored order, with (WH)_ij = W_i · Ht_j added one
   * component at a time in t order (WHs: EPS32 where WH = 0). The caller adds the rows in row
   * order (rule 4), as it does for `rowLosses`. Cost nnz·k.
   */
  csrRowLosses(
    indptr: Int32Array,
    indices: Int32Array,
    data: Float64Array,
    m: number,
    n: number,
    k: number,
    W: Float64Array,
    Ht: Float64Array,
    sums: Float64Array,
  ): void;

  // The data scan -------------------------------------------------------------------------------

  /**
   * What a fit needs to know about dense V (m × n) before it starts (../data.ts, `prepareData`),
   * in one read, into `summary` (`SCAN_SUMMARY_LENGTH` numbers, positions in `ScanField`, both in
   * ./scalar/scan.ts): [0] the sum of the finite entries, added one at a time in row-major order
   * (one running sum over the whole matrix: it is never split over threads, rule 4); [1] the
   * number of NaN (missing) entries; [2 … 4] the first entry < 0 in row-major order as row,
   * column, value; [5 … 7] the first ±Infinity likewise; [8, 9] the first 0 as row, column; −1
   * for the row and column (0 for the value) of what V does not hold.
   */
  scanDense(V: Float64Array, m: number, n: number, summary: Float64Array): void;
  /**
   * The NaN entries of dense V (m × n) by row: rowPtr (m + 1) their running count from 0, cols
   * (as many as `scanDense` counted) their columns, row by row, increasing. Throws when V holds
   * more than cols has room for.
   */
  scanDenseMissing(V: Float64Array, m: number, n: number, rowPtr: Int32Array, cols: Int32Array): void;

  /**
   * Gives back what the set holds between calls (a kernel team's helpers let go of V, so a team
   * kept between fits does not keep a dataset alive). The set stays usable; calls after this one
   * hand V over again.
   */
  release(): void;
}
