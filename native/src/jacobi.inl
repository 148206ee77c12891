// The sweeps of the randomized SVD's one-sided Jacobi step (src/shared/linalg/svd.ts,
// `jacobiSweeps`, the reference), with its bits. Included by addon.cc inside its anonymous namespace.
//
// Each pair (p, q) of columns: three dot products over the rows (α = Σ a_p², β = Σ a_q²,
// γ = Σ a_p·a_q, each added in row order: three independent chains, one pass), the test
// |γ| ≤ 1e-15·√(αβ), and the rotation of both columns of A and of V (entries independent, so the
// compiler may run them on vector lanes: each entry's c·x − s·y is rounded as the reference's).
// Math.sqrt, division and sign are exact IEEE operations in both languages, and -ffp-contract=off
// keeps every a·b + c rounded twice, so each rotation's c and s, and every entry, are the same doubles.

namespace jacobi {

/** x ← c·x − s·y, y ← s·x + c·y over `length` entries (`rotate` in svd.ts). */
inline void rotate(double* __restrict x, double* __restrict y, size_t length, double c, double s) {
  for (size_t i = 0; i < length; i++) {
    const double a = x[i], b = y[i];
    x[i] = c * a - s * b;
    y[i] = s * a + c * b;
  }
}

/**
 * The sweeps on At (cols × rows: column c of A at At + c·rows) and Vt (cols × cols, column c of V
 * at Vt + c·cols), in place, until a sweep rotates nothing (at most 60).
 */
void sweeps(double* At, double* Vt, size_t rows, size_t cols) {
  const double tol = 1e-15;
  for (int sweep = 0; sweep < 60; sweep++) {
    bool rotated = false;
    for (size_t p = 0; p + 1 < cols; p++) {
      double* ap = At + p * rows;
      for (size_t q = p + 1; q < cols; q++) {
        double* aq = At + q * rows;
        double alpha = 0, beta = 0, gamma = 0;
        for (size_t i = 0; i < rows; i++) {
          const double x = ap[i], y = aq[i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma == 0 || std::fabs(gamma) <= tol * std::sqrt(alpha * beta)) continue;
        rotated = true;
        const double zeta = (beta - alpha) / (2 * gamma);
        // Math.sign(zeta || 1): 1 for a zero or NaN zeta, else its sign.
        const double sign = (zeta == 0 || zeta != zeta) ? 1.0 : (zeta > 0 ? 1.0 : -1.0);
        const double t = sign / (std::fabs(zeta) + std::sqrt(1 + zeta * zeta));
        const double c = 1 / std::sqrt(1 + t * t);
        const double s = c * t;
        rotate(ap, aq, rows, c, s);
        rotate(Vt + p * cols, Vt + q * cols, cols, c, s);
      }
    }
    if (!rotated) break;
  }
}

}  // namespace jacobi

/** (At, Vt, rows, cols): jacobi::sweeps in place (one thread). */
napi_value JacobiSweeps(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv, "jacobiSweeps: expected (At, Vt, rows, cols)")) return nullptr;
  size_t rows = 0, cols = 0;
  Array At, Vt;
  if (!getArray(env, argv[0], &At, "jacobiSweeps: At must be a Float64Array") ||
      !getArray(env, argv[1], &Vt, "jacobiSweeps: Vt must be a Float64Array") ||
      !getSize(env, argv[2], &rows, "jacobiSweeps: rows must be a non-negative integer") ||
      !getSize(env, argv[3], &cols, "jacobiSweeps: cols must be a non-negative integer"))
    return nullptr;
  if (!productFits(rows, cols) || !productFits(cols, cols) || At.length < rows * cols || Vt.length < cols * cols) {
    fail(env, "jacobiSweeps: At is shorter than rows · cols or Vt than cols · cols");
    return nullptr;
  }
  jacobi::sweeps(At.data, Vt.data, rows, cols);
  return nullptr;
}
