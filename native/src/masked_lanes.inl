// The four-row blocks of the missing-value kernels (`sweepBlockK`, `sumsBlockK`), included by
// masked.inl once per instruction set it is built for (inside a namespace and a target pragma
// there). Plain C++ with GCC/Clang vector extensions; no fused multiply-add anywhere.

/** Four doubles, one per row of a block (the lanes of `sweepBlockK`), and their comparison masks. */
typedef double lanes4 __attribute__((vector_size(32)));
typedef long long mask4 __attribute__((vector_size(32)));
/** `lanes4` at any 8-byte boundary (rows of the partner tables and of F). */
typedef double lanes4u __attribute__((vector_size(32), aligned(8)));

/** Four doubles from p (no alignment needed). */
static inline lanes4 loadLanes(const double* p) { return *reinterpret_cast<const lanes4u*>(p); }

/** A row of zeros: a lane past its partners reads it, and its a_s = 0 makes every term the exact −0 skip. */
alignas(64) static const double kZeroRow[8] = {0, 0, 0, 0, 0, 0, 0, 0};

/**
 * The partner steps every lane of a four-row block has a partner for: the shortest of the four
 * lists. The blocks run these steps without testing each lane against its list's end (a compare
 * and a select per lane and step, a third of a step's work on the W side of a 5000 × 400 fold),
 * then the rest with the test; each lane meets the same partners in the same order, so the bits
 * are the same.
 */
inline size_t commonSteps(const size_t count[4]) {
  size_t common = count[0];
  for (int l = 1; l < 4; l++)
    if (count[l] < common) common = count[l];
  return common;
}

/**
 * The end of a four-row block of the masked sweep, shared by `sweepBlockK` and `sweepTableBlockK`:
 * row l's Gram matrix from the lane sums `acc` (upper triangle, terms in `s` then `t ≥ s` order;
 * the scalar code mirrors it onto the lower one, except for a row without missing partners, which
 * it runs on G itself), + l2 on the diagonal of observed-path rows, then the coordinate updates
 * (`cdRow`), lane by lane in the scalar order.
 */
template <int K>
__attribute__((always_inline)) inline void finishBlockK(double* F, const double* G, const double* B, double l2,
                                                        const int32_t* order, size_t r, double* rv,
                                                        const bool observed[4], const bool full[4], const lanes4* acc) {
  const lanes4 zero = {0.0, 0.0, 0.0, 0.0};
  const mask4 fullRow = {full[0] ? -1 : 0, full[1] ? -1 : 0, full[2] ? -1 : 0, full[3] ? -1 : 0};
  lanes4 g[K * K];
  {
    int p = 0;
    for (int s = 0; s < K; s++)
      for (int t = s; t < K; t++, p++) {
        g[s * K + t] = acc[p];
        if (t != s) {
          const double gts = G[t * K + s];
          g[t * K + s] = fullRow ? lanes4{gts, gts, gts, gts} : acc[p];
        }
      }
  }
  if (l2 != 0) {
    const lanes4 add = {observed[0] ? l2 : -0.0, observed[1] ? l2 : -0.0, observed[2] ? l2 : -0.0,
                        observed[3] ? l2 : -0.0};
    for (int t = 0; t < K; t++) g[t * K + t] += add;
  }
  // The coordinate updates (`cdRow`), lane by lane in the same order.
  lanes4 f[K], b[K];
  for (int t = 0; t < K; t++) {
    f[t] = lanes4{F[(r + 0) * K + t], F[(r + 1) * K + t], F[(r + 2) * K + t], F[(r + 3) * K + t]};
    b[t] = lanes4{B[(r + 0) * K + t], B[(r + 1) * K + t], B[(r + 2) * K + t], B[(r + 3) * K + t]};
  }
  lanes4 violation = zero;
  for (int s = 0; s < K; s++) {
    const int t = order[s];
    lanes4 grad = -b[t];
    for (int q = 0; q < K; q++) grad += g[t * K + q] * f[q];
    const lanes4 current = f[t];
    const lanes4 pg = (current == zero) & (grad > zero) ? zero : grad;
    violation += pg < zero ? -pg : pg;
    const lanes4 hess = g[t * K + t];
    const lanes4 next = current - grad / hess;
    const lanes4 clamped = next > zero ? next : zero;
    f[t] = hess != zero ? clamped : current;
  }
  for (int l = 0; l < 4; l++) {
    for (int t = 0; t < K; t++) F[(r + l) * K + t] = f[t][l];
    rv[r + l] = violation[l];
  }
}

/**
 * The partner lists of the four rows r … r + 3 of a masked sweep: a row with at most half its
 * partners missing lists its missing ones (idx, sorted); one with more lists its observed ones, the
 * complement of the sorted missing list in order, written into `list` (grown to 4 × others).
 * Returns the longest list's length.
 */
inline size_t blockPartners(size_t others, const int32_t* ptr, const int32_t* idx, size_t r, std::vector<int32_t>& list,
                            const int32_t* partners[4], size_t count[4], bool observed[4], bool full[4]) {
  size_t steps = 0;
  for (int l = 0; l < 4; l++) {
    const size_t start = (size_t)ptr[r + l], end = (size_t)ptr[r + l + 1];
    const size_t missing = end - start;
    full[l] = missing == 0;
    observed[l] = missing > 0 && 2 * missing > others;
    if (!observed[l]) {
      partners[l] = idx + start;
      count[l] = missing;
    } else {
      // The observed partners: the complement of the sorted missing list, in order.
      if (list.size() < 4 * others) list.resize(4 * others);
      int32_t* own = list.data() + (size_t)l * others;
      size_t n = 0, q = start;
      for (size_t j = 0; j < others; j++) {
        while (q < end && (size_t)idx[q] < j) q++;
        if (q < end && (size_t)idx[q] == j) continue;
        own[n++] = (int32_t)j;
      }
      partners[l] = own;
      count[l] = n;
    }
    if (count[l] > steps) steps = count[l];
  }
  return steps;
}

/**
 * One partner step of `sweepBlockK`: each lane's terms for its partner row rowOf[l] (negated where
 * `negate`; −0 where a_s = 0, the scalar skip) added to its Gram sums acc (upper triangle).
 */
template <int K>
__attribute__((always_inline)) inline void sweepStepK(const double* const rowOf[4], mask4 negate, lanes4* acc) {
  const lanes4 minusZero = {-0.0, -0.0, -0.0, -0.0};
  const lanes4 zero = {0.0, 0.0, 0.0, 0.0};
  lanes4 o[K];
  for (int s = 0; s < K; s++) o[s] = lanes4{rowOf[0][s], rowOf[1][s], rowOf[2][s], rowOf[3][s]};
  int p = 0;
  for (int s = 0; s < K; s++) {
    const lanes4 a = negate ? -o[s] : o[s];
    const mask4 skip = a == zero;
    for (int t = s; t < K; t++, p++) {
      const lanes4 term = a * o[t];
      acc[p] += skip ? minusZero : term;
    }
  }
}

/**
 * `sweepRowsK` for the four rows r … r + 3 at once, one row per vector lane (K > 0). Each lane does
 * its row's scalar operations in the scalar order — the Gram matrix from G less its missing
 * partners' outer products (or from 0 plus its observed partners'), then the coordinate updates —
 * so every bit is the one-row code's; what changes is that four rows' chains of dependent
 * additions run side by side instead of one after the other (a row's work is a few short
 * latency-bound chains: about 13 partners on the W side of a Golub fold, 1700 on the H side).
 * Lanes have partner lists of different lengths; a lane past its end reads `kZeroRow`, whose terms
 * are −0 and leave every sum unchanged (x + (−0) = x for every x). `list`: scratch, grown to 4 ×
 * others partner indices when a row takes the observed path.
 */
template <int K>
void sweepBlockK(double* F, const double* O, size_t others, const double* G, const double* B, double l2,
                 const int32_t* ptr, const int32_t* idx, const int32_t* order, size_t r, double* rv,
                 std::vector<int32_t>& list) {
  constexpr int terms = K * (K + 1) / 2;
  const int32_t* partners[4];
  size_t count[4];
  bool observed[4], full[4];
  const size_t steps = blockPartners(others, ptr, idx, r, list, partners, count, observed, full);
  const mask4 negate = {observed[0] ? 0 : -1, observed[1] ? 0 : -1, observed[2] ? 0 : -1, observed[3] ? 0 : -1};
  lanes4 acc[terms];
  {
    int p = 0;
    for (int s = 0; s < K; s++)
      for (int t = s; t < K; t++, p++) {
        const double gst = G[s * K + t];
        acc[p] =
            lanes4{observed[0] ? 0.0 : gst, observed[1] ? 0.0 : gst, observed[2] ? 0.0 : gst, observed[3] ? 0.0 : gst};
      }
  }
  // While every lane has partners left no lane needs its end test (`commonSteps`).
  const size_t common = commonSteps(count);
  size_t q = 0;
  for (; q < common; q++) {
    const double* const rowOf[4] = {O + (size_t)partners[0][q] * K, O + (size_t)partners[1][q] * K,
                                    O + (size_t)partners[2][q] * K, O + (size_t)partners[3][q] * K};
    sweepStepK<K>(rowOf, negate, acc);
  }
  for (; q < steps; q++) {
    const double* rowOf[4];
    for (int l = 0; l < 4; l++) rowOf[l] = q < count[l] ? O + (size_t)partners[l][q] * K : kZeroRow;
    sweepStepK<K>(rowOf, negate, acc);
  }
  finishBlockK<K>(F, G, B, l2, order, r, rv, observed, full, acc);
}

/** The K(K + 1)/2 upper-triangle terms of a row's Gram sums, padded to whole four-lane vectors. */
template <int K>
constexpr int paddedTerms() {
  return (K * (K + 1) / 2 + 3) & ~3;
}

/**
 * The partner table of `sweepTableBlockK` (others + 1 rows of `paddedTerms<K>()`): row o holds the
 * terms the scalar code adds to a row's Gram sums for partner o, in the order of those sums (s
 * ascending, then t ≥ s ascending): a·O_ot with a = −O_os (`negate`: a missing partner taken off
 * G) or a = O_os (an observed partner added to 0), and −0 where a = 0 (the scalar skip). Each term
 * is the product the one-row code forms, so adding it gives that code's bits. Padding terms and the
 * last row (a lane past its list) are −0, which leaves every sum as it is.
 */
template <int K>
void partnerTableK(const double* O, size_t others, bool negate, double* P) {
  constexpr int padded = paddedTerms<K>();
  for (size_t o = 0; o < others; o++) {
    const double* orow = O + o * K;
    double* prow = P + o * padded;
    int p = 0;
    for (int s = 0; s < K; s++) {
      const double a = negate ? -orow[s] : orow[s];
      const bool skip = a == 0;
      for (int t = s; t < K; t++, p++) prow[p] = skip ? -0.0 : a * orow[t];
    }
    for (; p < padded; p++) prow[p] = -0.0;
  }
  for (int p = 0; p < padded; p++) P[others * padded + p] = -0.0;
}

/**
 * `sweepBlockK` with each partner's terms read from partner tables (`partnerTableK`: `missingTable`
 * for rows that take the missing path, `observedTable`, which may be null when no row of the call
 * takes the observed path, for the others) instead of formed per row: each of the four rows keeps
 * its Gram sums across the lanes of `paddedTerms<K>() / 4` vectors and adds a partner's terms with
 * one contiguous load per vector — the same terms in the same partner order, so the same bits,
 * without the products, the skip's compare and blend, and the gather of four rows' partners into
 * lanes that `sweepBlockK` repeats for every row. The four rows' sums are independent chains and
 * run side by side; the coordinate updates then take them across rows (`finishBlockK`).
 */
template <int K>
void sweepTableBlockK(double* F, size_t others, const double* G, const double* B, double l2, const int32_t* ptr,
                      const int32_t* idx, const int32_t* order, size_t r, double* rv, std::vector<int32_t>& list,
                      const double* missingTable, const double* observedTable) {
  constexpr int terms = K * (K + 1) / 2;
  constexpr int padded = paddedTerms<K>();
  constexpr int vectors = padded / 4;
  const int32_t* partners[4];
  size_t count[4];
  bool observed[4], full[4];
  const size_t steps = blockPartners(others, ptr, idx, r, list, partners, count, observed, full);
  double upper[padded];
  {
    int p = 0;
    for (int s = 0; s < K; s++)
      for (int t = s; t < K; t++, p++) upper[p] = G[s * K + t];
    for (; p < padded; p++) upper[p] = 0;
  }
  const double* table[4];
  lanes4 sums[4][vectors];
  for (int l = 0; l < 4; l++) {
    table[l] = observed[l] ? observedTable : missingTable;
    for (int v = 0; v < vectors; v++) sums[l][v] = observed[l] ? lanes4{0.0, 0.0, 0.0, 0.0} : loadLanes(upper + 4 * v);
  }
  // While every lane has partners left no lane needs its end test (`commonSteps`).
  const size_t common = commonSteps(count);
  size_t q = 0;
  for (; q < common; q++) {
#pragma GCC unroll 4
    for (int l = 0; l < 4; l++) {
      const double* prow = table[l] + (size_t)partners[l][q] * padded;
#pragma GCC unroll 16
      for (int v = 0; v < vectors; v++) sums[l][v] += loadLanes(prow + 4 * v);
    }
  }
  for (; q < steps; q++) {
#pragma GCC unroll 4
    for (int l = 0; l < 4; l++) {
      // Past its list, a lane reads its table's last row (all −0).
      const size_t o = q < count[l] ? (size_t)partners[l][q] : others;
      const double* prow = table[l] + o * padded;
#pragma GCC unroll 16
      for (int v = 0; v < vectors; v++) sums[l][v] += loadLanes(prow + 4 * v);
    }
  }
  // Term p of row l is lane p % 4 of vector p / 4 of that row's sums; finishBlockK wants lane l.
  lanes4 acc[terms];
  for (int p = 0; p < terms; p++)
    acc[p] = lanes4{sums[0][p / 4][p % 4], sums[1][p / 4][p % 4], sums[2][p / 4][p % 4], sums[3][p / 4][p % 4]};
  finishBlockK<K>(F, G, B, l2, order, r, rv, observed, full, acc);
}

/**
 * `sumsRowsK` for the four rows r … r + 3 at once, one row per lane (K > 0): out_r = total − Σ over
 * r's missing partners of F_o, clamped at 0, each lane subtracting its row's partners in order. A
 * lane past its partners subtracts `kZeroRow`'s +0, which leaves every value as it is. On the H side
 * of a Golub fold each row has ~1700 partners: one chain of dependent subtractions per component,
 * which four rows now run side by side.
 */
template <int K>
void sumsBlockK(double* out, const double* F, const double* total, const int32_t* ptr, const int32_t* idx, size_t r) {
  size_t count[4], steps = 0;
  const int32_t* partners[4];
  for (int l = 0; l < 4; l++) {
    partners[l] = idx + ptr[r + l];
    count[l] = (size_t)(ptr[r + l + 1] - ptr[r + l]);
    if (count[l] > steps) steps = count[l];
  }
  lanes4 acc[K];
  for (int t = 0; t < K; t++) acc[t] = lanes4{total[t], total[t], total[t], total[t]};
  // While every lane has partners left no lane needs its end test (`commonSteps`).
  const size_t common = commonSteps(count);
  size_t q = 0;
  for (; q < common; q++) {
    const double* const rowOf[4] = {F + (size_t)partners[0][q] * K, F + (size_t)partners[1][q] * K,
                                    F + (size_t)partners[2][q] * K, F + (size_t)partners[3][q] * K};
    for (int t = 0; t < K; t++) acc[t] -= lanes4{rowOf[0][t], rowOf[1][t], rowOf[2][t], rowOf[3][t]};
  }
  for (; q < steps; q++) {
    const double* rowOf[4];
    for (int l = 0; l < 4; l++) rowOf[l] = q < count[l] ? F + (size_t)partners[l][q] * K : kZeroRow;
    for (int t = 0; t < K; t++) acc[t] -= lanes4{rowOf[0][t], rowOf[1][t], rowOf[2][t], rowOf[3][t]};
  }
  const lanes4 zero = {0.0, 0.0, 0.0, 0.0};
  for (int t = 0; t < K; t++) acc[t] = acc[t] < zero ? zero : acc[t];
  for (int l = 0; l < 4; l++)
    for (int t = 0; t < K; t++) out[(r + l) * K + t] = acc[t][l];
}

/** A row's K components padded to whole four-lane vectors. */
template <int K>
constexpr int paddedComponents() {
  return (K + 3) & ~3;
}

/**
 * F (others × K) copied with its rows padded to `paddedComponents<K>()` entries (zeros), and one
 * more row of zeros at index `others` for a lane past its list (`sumsWideBlockK`).
 */
template <int K>
void paddedRowsK(const double* F, size_t others, double* Fp) {
  constexpr int padded = paddedComponents<K>();
  for (size_t o = 0; o < others; o++)
    for (int c = 0; c < padded; c++) Fp[o * padded + c] = c < K ? F[o * K + c] : 0.0;
  for (int c = 0; c < padded; c++) Fp[others * padded + c] = 0.0;
}

/**
 * `sumsBlockK` with each row's k sums across the lanes of `paddedComponents<K>() / 4` vectors
 * (K ≥ 2), reading F's rows from its padded copy `Fp` (`paddedRowsK`): a partner's row is one
 * contiguous load per vector instead of four rows' entries gathered into lanes one by one. Each
 * lane still subtracts its row's partners in order from `total`, so the bits are the same; the
 * four rows' chains run side by side, a lane past its list subtracting the zero row's +0 (x − (+0)
 * = x for every x). Lanes past K are never written out.
 */
template <int K>
void sumsWideBlockK(double* out, const double* Fp, size_t others, const double* total, const int32_t* ptr,
                    const int32_t* idx, size_t r) {
  constexpr int padded = paddedComponents<K>();
  constexpr int vectors = padded / 4;
  size_t count[4], steps = 0;
  const int32_t* partners[4];
  for (int l = 0; l < 4; l++) {
    partners[l] = idx + ptr[r + l];
    count[l] = (size_t)(ptr[r + l + 1] - ptr[r + l]);
    if (count[l] > steps) steps = count[l];
  }
  double start[padded];
  for (int c = 0; c < padded; c++) start[c] = c < K ? total[c] : 0.0;
  lanes4 acc[4][vectors];
  for (int l = 0; l < 4; l++)
    for (int v = 0; v < vectors; v++) acc[l][v] = loadLanes(start + 4 * v);
  // While every lane has partners left no lane needs its end test (`commonSteps`).
  const size_t common = commonSteps(count);
  size_t q = 0;
  for (; q < common; q++) {
#pragma GCC unroll 4
    for (int l = 0; l < 4; l++) {
      const double* f = Fp + (size_t)partners[l][q] * padded;
#pragma GCC unroll 2
      for (int v = 0; v < vectors; v++) acc[l][v] -= loadLanes(f + 4 * v);
    }
  }
  for (; q < steps; q++) {
#pragma GCC unroll 4
    for (int l = 0; l < 4; l++) {
      const size_t o = q < count[l] ? (size_t)partners[l][q] : others;
      const double* f = Fp + o * padded;
#pragma GCC unroll 2
      for (int v = 0; v < vectors; v++) acc[l][v] -= loadLanes(f + 4 * v);
    }
  }
  const lanes4 zero = {0.0, 0.0, 0.0, 0.0};
  for (int l = 0; l < 4; l++)
    for (int v = 0; v < vectors; v++) {
      const lanes4 clamped = acc[l][v] < zero ? zero : acc[l][v];
      for (int c = 4 * v; c < 4 * v + 4 && c < K; c++) out[(r + l) * K + c] = clamped[c - 4 * v];
    }
}
