// The randomized SVD's re-orthonormalisation (src/shared/linalg/svd.ts, `orthonormalizeColumns`):
// modified Gram–Schmidt done twice over the l columns of a tall Q (rows × l, row-major), with the
// bits of the JavaScript reference. Included by addon.cc inside its anonymous namespace.
//
// The reference is left-looking (column c projected off columns 0 … c − 1 in order, then
// normalised). Here the sweep is right-looking: once column p is final it is taken out of every
// later column, four at a time, so four independent dot products (each a chain of dependent
// additions) share one pass over column p. Each column still receives exactly the reference's
// operations in the reference's order, and the subtractions run across independent entries, so
// the bits are the same (contract.ts, rules 1–3; -ffp-contract=off keeps a·b + c rounded twice).

namespace ortho {

/** Column c of C (l × rows, one column per row) minus dot · column p, entry by entry. */
inline void subtract(double* __restrict c, const double* __restrict p, double dot, size_t rows) {
  for (size_t i = 0; i < rows; i++) c[i] -= dot * p[i];
}

/** In place on Q (rows × l, row-major); `C` is scratch of rows · l. */
void orthonormalizeColumns(double* Q, size_t rows, size_t l, double* C) {
  for (size_t i = 0; i < rows; i++)
    for (size_t c = 0; c < l; c++) C[c * rows + i] = Q[i * l + c];
  for (int pass = 0; pass < 2; pass++) {
    for (size_t p = 0; p < l; p++) {
      double* cp = C + p * rows;
      double norm = 0;
      for (size_t i = 0; i < rows; i++) norm += cp[i] * cp[i];
      norm = std::sqrt(norm);
      const double scale = norm > 0 ? 1 / norm : 0;
      for (size_t i = 0; i < rows; i++) cp[i] *= scale;
      size_t c = p + 1;
      for (; c + 4 <= l; c += 4) {
        double* c0 = C + c * rows;
        double* c1 = c0 + rows;
        double* c2 = c1 + rows;
        double* c3 = c2 + rows;
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        for (size_t i = 0; i < rows; i++) {
          const double x = cp[i];
          d0 += x * c0[i];
          d1 += x * c1[i];
          d2 += x * c2[i];
          d3 += x * c3[i];
        }
        if (d0 != 0) subtract(c0, cp, d0, rows);
        if (d1 != 0) subtract(c1, cp, d1, rows);
        if (d2 != 0) subtract(c2, cp, d2, rows);
        if (d3 != 0) subtract(c3, cp, d3, rows);
      }
      for (; c < l; c++) {
        double* cc = C + c * rows;
        double dot = 0;
        for (size_t i = 0; i < rows; i++) dot += cp[i] * cc[i];
        if (dot != 0) subtract(cc, cp, dot, rows);
      }
    }
  }
  for (size_t i = 0; i < rows; i++)
    for (size_t c = 0; c < l; c++) Q[i * l + c] = C[c * rows + i];
}

}  // namespace ortho

/** (Q, rows, l): `orthonormalizeColumns` of src/shared/linalg/svd.ts on Q (rows × l) in place (one thread). */
napi_value Orthonormalize(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!getArgs(env, info, 3, argv, "orthonormalize: expected (Q, rows, l)")) return nullptr;
  size_t rows = 0, l = 0;
  Array Q;
  if (!getArray(env, argv[0], &Q, "orthonormalize: Q must be a Float64Array") ||
      !getSize(env, argv[1], &rows, "orthonormalize: rows must be a non-negative integer") ||
      !getSize(env, argv[2], &l, "orthonormalize: l must be a non-negative integer"))
    return nullptr;
  if (!productFits(rows, l) || Q.length < rows * l) {
    fail(env, "orthonormalize: Q is shorter than rows · l");
    return nullptr;
  }
  std::vector<double> C(rows * l);
  ortho::orthonormalizeColumns(Q.data, rows, l, C.data());
  return nullptr;
}
