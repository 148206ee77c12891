// The four-row blocks of the missing-value kernels (`sweepBlockK`, `sumsBlockK`), included by
// masked.inl once per instruction set it is built for (inside a namespace and a target pragma
// there). Plain C++ with GCC/Clang vector extensions; no fused multiply-add anywhere.

/** Four doubles, one per row of a block (the lanes of `sweepBlockK`), and their comparison masks. */
typedef double lanes4 __attribute__((vector_size(32)));
typedef long long mask4 __attribute__((vector_size(32)));

/** A row of zeros: a lane past its partners reads it, and its a_s = 0 makes every term the exact −0 skip. */
alignas(64) static const double kZeroRow[8] = {0, 0, 0, 0, 0, 0, 0, 0};

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
  const lanes4 minusZero = {-0.0, -0.0, -0.0, -0.0};
  const lanes4 zero = {0.0, 0.0, 0.0, 0.0};
  for (size_t q = 0; q < steps; q++) {
    const double* rowOf[4];
    for (int l = 0; l < 4; l++) rowOf[l] = q < count[l] ? O + (size_t)partners[l][q] * K : kZeroRow;
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
  // Row l's Gram matrix: the upper triangle from acc (the scalar code mirrors it onto the lower
  // one), except for a row without missing partners, which the scalar code runs on G itself.
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
  for (size_t q = 0; q < steps; q++) {
    const double* rowOf[4];
    for (int l = 0; l < 4; l++) rowOf[l] = q < count[l] ? F + (size_t)partners[l][q] * K : kZeroRow;
    for (int t = 0; t < K; t++) acc[t] -= lanes4{rowOf[0][t], rowOf[1][t], rowOf[2][t], rowOf[3][t]};
  }
  const lanes4 zero = {0.0, 0.0, 0.0, 0.0};
  for (int t = 0; t < K; t++) acc[t] = acc[t] < zero ? zero : acc[t];
  for (int l = 0; l < 4; l++)
    for (int t = 0; t < K; t++) out[(r + l) * K + t] = acc[t][l];
}
