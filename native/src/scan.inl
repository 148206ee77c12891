// The data scan of a fit on dense V (src/shared/nmf/data.ts, `prepareData`; the scalar reference is
// src/shared/nmf/kernels/scalar/scan.ts): the sum of the observed entries for the starts' scale,
// the count and positions of the missing (NaN) entries, and the first negative, infinite and zero
// entries for the fit's error messages, in one read of V. Included by addon.cc inside its anonymous
// namespace, compiled once (no per-instruction-set copies): the pass is bound by the one running
// sum, whose additions must stay in row-major order (contract.ts, rule 1), not by arithmetic.
//
// One thread: the sum is a single chain of additions over the whole matrix, which no split can
// keep (rule 4), and it is what the pass waits for; the counts and flags ride along in the same
// read at no cost that a second thread could save.

namespace scan {

/** Positions in the summary `denseSummary` writes (NmfKernels.scanDense, contract.ts). */
enum SummaryField {
  kSum = 0,
  kMissing = 1,
  kNegativeRow = 2,
  kNegativeColumn = 3,
  kNegativeValue = 4,
  kInfiniteRow = 5,
  kInfiniteColumn = 6,
  kInfiniteValue = 7,
  kZeroRow = 8,
  kZeroColumn = 9,
  kSummaryLength = 10,
};

inline uint64_t bitsOf(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return bits;
}

inline double doubleOf(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, 8);
  return v;
}

/** |v|'s bits from this up are ±Infinity and NaN. */
const uint64_t kInfinityBits = 0x7ff0000000000000ull;

/**
 * summary (kSummaryLength): the sum of the finite entries of V (m × n), added one at a time in
 * row-major order (the reference adds exactly these: an infinite or NaN entry is left out, a
 * zero adds nothing either way); the number of NaN entries; the first (row-major) entry < 0, the
 * first ±Infinity and the first 0 as row, column (and value), −1 where there is none.
 *
 * Each row is read once on integer views of its entries, without a branch: the sum (an entry
 * that is not finite adds +0, which leaves the sum's bits alone: it starts at +0 and is never
 * −0), and counts of the entries that are not finite, zero, or not finite and > 0. Only a row
 * with NaN or ±Infinity, or with a zero or negative entry when the first of its kind is still to
 * be found, is read again, entry by entry.
 */
void denseSummary(const double* V, size_t m, size_t n, double* summary) {
  for (int f = kNegativeRow; f < kSummaryLength; f++) summary[f] = -1;
  summary[kNegativeValue] = 0;
  summary[kInfiniteValue] = 0;
  double sum = 0;
  size_t missing = 0;
  bool haveNegative = false, haveInfinite = false, haveZero = false;
  for (size_t i = 0; i < m; i++) {
    const double* r = V + i * n;
    size_t nonFinite = 0, zero = 0, notPositive = 0;
    for (size_t j = 0; j < n; j++) {
      const uint64_t bits = bitsOf(r[j]);
      const uint64_t magnitude = bits & 0x7fffffffffffffffull;
      const uint64_t finite = magnitude < kInfinityBits;
      sum += doubleOf(bits & (0 - finite));
      nonFinite += 1 - finite;
      zero += magnitude == 0;
      // Positive finite non-zero entries are the bit patterns 1 … kInfinityBits − 1.
      notPositive += bits - 1 >= kInfinityBits - 1;
    }
    const bool negative = notPositive > nonFinite + zero;
    if (nonFinite == 0 && !(zero > 0 && !haveZero) && !(negative && !haveNegative)) continue;
    for (size_t j = 0; j < n; j++) {
      const double v = r[j];
      if (v != v) {
        missing++;
        continue;
      }
      if (v < 0 && !haveNegative) {
        haveNegative = true;
        summary[kNegativeRow] = (double)i;
        summary[kNegativeColumn] = (double)j;
        summary[kNegativeValue] = v;
      }
      if (v - v != 0) {
        if (!haveInfinite) {
          haveInfinite = true;
          summary[kInfiniteRow] = (double)i;
          summary[kInfiniteColumn] = (double)j;
          summary[kInfiniteValue] = v;
        }
        continue;
      }
      if (v == 0 && !haveZero) {
        haveZero = true;
        summary[kZeroRow] = (double)i;
        summary[kZeroColumn] = (double)j;
      }
    }
  }
  summary[kSum] = sum;
  summary[kMissing] = (double)missing;
}

/**
 * The missing (NaN) entries of V (m × n) by row: rowPtr (m + 1) from 0, row i's columns in
 * cols[rowPtr[i] … rowPtr[i + 1]) increasing. Returns false (nothing more written) when V holds
 * more than `capacity` of them.
 */
bool denseMissing(const double* V, size_t m, size_t n, int32_t* rowPtr, int32_t* cols, size_t capacity) {
  size_t count = 0;
  rowPtr[0] = 0;
  for (size_t i = 0; i < m; i++) {
    const double* r = V + i * n;
    for (size_t j = 0; j < n; j++) {
      if (r[j] == r[j]) continue;
      if (count == capacity) return false;
      cols[count++] = (int32_t)j;
    }
    rowPtr[i + 1] = (int32_t)count;
  }
  return true;
}

}  // namespace scan

/** (V, m, n, summary): scan::denseSummary of V (m × n) into summary (10 doubles), one thread. */
napi_value ScanDense(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!getArgs(env, info, 4, argv, "scanDense: expected (V, m, n, summary)")) return nullptr;
  size_t m = 0, n = 0;
  Array V, summary;
  if (!getArray(env, argv[0], &V, "scanDense: V must be a Float64Array") ||
      !getSize(env, argv[1], &m, "scanDense: m must be a non-negative integer") ||
      !getSize(env, argv[2], &n, "scanDense: n must be a non-negative integer") ||
      !getArray(env, argv[3], &summary, "scanDense: summary must be a Float64Array"))
    return nullptr;
  if (!productFits(m, n) || V.length < m * n) {
    fail(env, "scanDense: V is shorter than m · n");
    return nullptr;
  }
  if (summary.length < scan::kSummaryLength) {
    fail(env, "scanDense: summary must hold 10 numbers");
    return nullptr;
  }
  scan::denseSummary(V.data, m, n, summary.data);
  return nullptr;
}

/**
 * (V, m, n, rowPtr, cols): scan::denseMissing of V (m × n) into the Int32Arrays rowPtr (m + 1) and
 * cols (the number of NaN entries, from scanDense); throws when V holds more NaN than cols has room for.
 */
napi_value ScanDenseMissing(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!getArgs(env, info, 5, argv, "scanDenseMissing: expected (V, m, n, rowPtr, cols)")) return nullptr;
  size_t m = 0, n = 0, rowPtrLength = 0, colsLength = 0;
  Array V;
  const int32_t* rowPtr = nullptr;
  const int32_t* cols = nullptr;
  if (!getArray(env, argv[0], &V, "scanDenseMissing: V must be a Float64Array") ||
      !getSize(env, argv[1], &m, "scanDenseMissing: m must be a non-negative integer") ||
      !getSize(env, argv[2], &n, "scanDenseMissing: n must be a non-negative integer"))
    return nullptr;
  if (!readInt32Array(env, argv[3], &rowPtr, &rowPtrLength) || !readInt32Array(env, argv[4], &cols, &colsLength)) {
    fail(env, "scanDenseMissing: rowPtr and cols must be Int32Arrays");
    return nullptr;
  }
  if (!productFits(m, n) || V.length < m * n || rowPtrLength < m + 1) {
    fail(env, "scanDenseMissing: V is shorter than m · n or rowPtr than m + 1");
    return nullptr;
  }
  if (n > (size_t)INT32_MAX || colsLength > (size_t)INT32_MAX) {
    // Columns and counts are int32: a wider V or more missing entries cannot be indexed.
    fail(env, "scanDenseMissing: n or the number of missing entries exceeds an Int32Array index");
    return nullptr;
  }
  if (!scan::denseMissing(V.data, m, n, const_cast<int32_t*>(rowPtr), const_cast<int32_t*>(cols), colsLength)) {
    fail(env, "scanDenseMissing: V holds more missing entries than cols has room for");
    return nullptr;
  }
  return nullptr;
}

/** Adds scanDense and scanDenseMissing to the module's exports. */
void defineScanExports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"scanDense", nullptr, ScanDense, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"scanDenseMissing", nullptr, ScanDenseMissing, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
