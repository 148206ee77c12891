// The minibatch solver's batch gather (src/shared/nmf/minibatch.ts, `csrBatches`): the samples
// [j0, j1) of a CSR V (m × n, genes × cells) cut out as CSR Vᵀ_b (b × m), one cursor per row of V.
// Included by addon.cc inside its anonymous namespace, after the Node-API glue and the CSR kernels.
//
// Why native: the gather reads each of V's m rows at its cursor, a short run of entries (b·density,
// ~14 at 128 cells and 11 % non-zeros) far from the previous row's, so it waits on memory for
// every row: at 10⁵–10⁶ cells it was the largest single cost of a minibatch fit (about a fifth of
// the worker's time), all on one thread in JavaScript. Here the rows are split over the pool's
// threads and each part prefetches the runs of the rows ahead of the one it copies.
//
// Same result as the JavaScript gather, entry for entry and bit for bit: it is a copy, each batch
// row's features in increasing order, and the sum of the batch's non-NaN values is added in V's
// row-major order (row by row, each row's run in column order), as the JavaScript loop adds it.
//
// Two phases, so the parts need not know where each other's entries go:
//   A. each part copies its rows' runs in row order into its own list (column − j0, value), counts
//      the entries of each batch row, sums its values in that order and advances the cursors;
//   B. once every part's counts are known, batch row r's entries from part p start at
//      batchIndptr[r] + Σ_{p' < p} count_{p'}[r]; each part scatters its list there.
// The sum of part 0's values starts from 0 in its order; the caller continues it over the later
// parts' lists in order, so it is the one-thread sum.

/** Below this many entries in the batch the gather stays on one thread (a hand-over costs ~10 µs). */
constexpr size_t kMinGatherSplit = (size_t)1 << 14;

/** Rows of V whose runs a part prefetches ahead of the one it copies (enough to cover DRAM latency). */
constexpr size_t kGatherPrefetchRows = 8;

/** One part's list of phase A: its entries in row order and the row each run came from. */
struct GatherPart {
  std::vector<int32_t> column;  // column − j0 (the batch row), in row-major order
  std::vector<double> value;
  std::vector<int32_t> count;   // entries per batch row (b)
  size_t rows0 = 0, rows1 = 0;  // rows [rows0, rows1) of V
  std::vector<int32_t> runEnd;  // end of each row's run in the list (rows1 − rows0)
  double sum = 0;               // Σ of its non-NaN values in list order, from 0
  bool overflow = false;        // more entries than the batch holds, or a run outside [j0, j1)
};

/**
 * Phase A for rows [part.rows0, part.rows1): each row's stored entries from cursor[i] while the
 * column is < j1, appended to the part's list (at most `capacity` entries), cursor[i] advanced.
 */
void gatherRuns(const int32_t* indptr, const int32_t* indices, const double* data, int32_t* cursor, int32_t j0,
                int32_t j1, size_t b, size_t capacity, GatherPart* part) {
  part->count.assign(b, 0);
  part->runEnd.resize(part->rows1 - part->rows0);
  if (part->column.size() < capacity) {
    part->column.resize(capacity);
    part->value.resize(capacity);
  }
  int32_t* column = part->column.data();
  double* value = part->value.data();
  int32_t* count = part->count.data();
  size_t q = 0;
  double sum = 0;
  for (size_t i = part->rows0; i < part->rows1; i++) {
    const size_t ahead = i + kGatherPrefetchRows;
    if (ahead < part->rows1) {
      __builtin_prefetch(indices + cursor[ahead]);
      __builtin_prefetch(data + cursor[ahead]);
      __builtin_prefetch(data + cursor[ahead] + 8);
    }
    size_t p = (size_t)cursor[i];
    const size_t end = (size_t)indptr[i + 1];
    for (; p < end; p++) {
      const int32_t j = indices[p];
      if (j >= j1) break;
      if (j < j0 || q >= capacity) {
        part->overflow = true;
        return;
      }
      const double v = data[p];
      column[q] = j - j0;
      value[q] = v;
      q++;
      count[j - j0]++;
      if (v == v) sum += v;
    }
    cursor[i] = (int32_t)p;
    part->runEnd[i - part->rows0] = (int32_t)q;
  }
  part->sum = sum;
}

/** Phase B: the part's entries into the batch (b × m CSR) at `next` (b, advanced). */
void scatterRuns(const GatherPart& part, int32_t* next, int32_t* outIndices, double* outValues) {
  size_t q = 0;
  for (size_t i = part.rows0; i < part.rows1; i++) {
    const size_t end = (size_t)part.runEnd[i - part.rows0];
    for (; q < end; q++) {
      const int32_t at = next[part.column[q]]++;
      outIndices[at] = (int32_t)i;
      outValues[at] = part.value[q];
    }
  }
}

/**
 * (indptr, indices, data, m, n, cursor, j0, j1, batchIndptr, outIndices, outValues, threads) → the
 * sum of the batch's non-NaN values. V: CSR m × n, each row's columns increasing; cursor (m): each
 * row's first stored entry not yet handed out (in [indptr[i], indptr[i + 1]], no column < j0 before
 * the batch's), advanced past the batch; batchIndptr (b + 1, b = j1 − j0): the batch rows' offsets
 * (from V's column counts); outIndices, outValues: the batch's features and values. Refuses a
 * batch whose entries do not match batchIndptr (the output is then not written).
 */
napi_value CsrGather(napi_env env, napi_callback_info info) {
  napi_value argv[12];
  if (!getArgs(env, info, 12, argv,
               "csrGather: expected (indptr, indices, data, m, n, cursor, j0, j1, batchIndptr, outIndices, outValues, "
               "threads)"))
    return nullptr;
  const int32_t *indptr = nullptr, *indices = nullptr, *cursorIn = nullptr, *batchIndptr = nullptr,
                *outIndicesIn = nullptr;
  size_t indptrLength = 0, indicesLength = 0, cursorLength = 0, batchLength = 0, outIndicesLength = 0;
  size_t m = 0, n = 0, j0 = 0, j1 = 0, threads = 1;
  Array data, outValues;
  if (!readInt32Array(env, argv[0], &indptr, &indptrLength) ||
      !readInt32Array(env, argv[1], &indices, &indicesLength) || !readArray(env, argv[2], &data) ||
      !readSize(env, argv[3], &m) || !readSize(env, argv[4], &n) ||
      !readInt32Array(env, argv[5], &cursorIn, &cursorLength) || !readSize(env, argv[6], &j0) ||
      !readSize(env, argv[7], &j1) || !readInt32Array(env, argv[8], &batchIndptr, &batchLength) ||
      !readInt32Array(env, argv[9], &outIndicesIn, &outIndicesLength) || !readArray(env, argv[10], &outValues) ||
      !readSize(env, argv[11], &threads)) {
    fail(env,
         "csrGather: expected Int32Array indptr, indices, Float64Array data, sizes m, n, Int32Array cursor, sizes j0, "
         "j1, Int32Array batchIndptr, outIndices, Float64Array outValues, size threads");
    return nullptr;
  }
  const size_t b = j1 - j0;
  if (j1 < j0 || j1 > n || n > (size_t)INT32_MAX || indptrLength < m + 1 || cursorLength < m || batchLength < b + 1 ||
      batchIndptr[0] != 0) {
    fail(env, "csrGather: m, n, j0, j1 do not match the arrays");
    return nullptr;
  }
  const size_t nnz = (size_t)indptr[m];
  if (nnz > indicesLength || nnz > data.length) {
    fail(env, "csrGather: indptr[m] exceeds the stored entries");
    return nullptr;
  }
  for (size_t r = 0; r < b; r++)
    if (batchIndptr[r + 1] < batchIndptr[r]) {
      fail(env, "csrGather: batchIndptr decreases");
      return nullptr;
    }
  const size_t total = (size_t)batchIndptr[b];
  if (total > outIndicesLength || total > outValues.length) {
    fail(env, "csrGather: the output arrays are shorter than the batch");
    return nullptr;
  }
  int32_t* cursor = const_cast<int32_t*>(cursorIn);
  for (size_t i = 0; i < m; i++)
    if (indptr[i + 1] < indptr[i] || cursor[i] < indptr[i] || cursor[i] > indptr[i + 1]) {
      fail(env, ("csrGather: cursor of row " + std::to_string(i) + " is outside the row").c_str());
      return nullptr;
    }
  // Parts by V's stored entries (the batch's follow them closely); small batches on one thread.
  const int parts = total < kMinGatherSplit ? 1 : partsFor(threads, m);
  // Scratch of the calling thread, kept between calls. The pool's threads reach it through these
  // references: named inside the lambdas, a thread_local would be each pool thread's own.
  static thread_local std::vector<GatherPart> ownLists;
  static thread_local std::vector<int32_t> ownSaved, ownNext;
  std::vector<GatherPart>& lists = ownLists;
  std::vector<int32_t>& saved = ownSaved;
  std::vector<int32_t>& next = ownNext;
  if ((int)lists.size() < parts) lists.resize(parts);
  for (int p = 0; p < parts; p++) {
    lists[p].rows0 = csrRowCut(indptr, m, nnz, parts, p);
    lists[p].rows1 = csrRowCut(indptr, m, nnz, parts, p + 1);
    lists[p].overflow = false;
  }
  // Phase A changes the cursors; kept to restore them if the batch is refused.
  saved.assign(cursor, cursor + m);
  poolOf(env)->run(parts, [&](int p) {
    gatherRuns(indptr, indices, data.data, cursor, (int32_t)j0, (int32_t)j1, b, total, &lists[p]);
  });
  bool matches = true;
  for (int p = 0; p < parts; p++) matches = matches && !lists[p].overflow;
  // Where each part's entries of each batch row start (phase B), checked against batchIndptr.
  next.resize((size_t)parts * b);
  for (size_t r = 0; matches && r < b; r++) {
    int32_t at = batchIndptr[r];
    for (int p = 0; p < parts; p++) {
      next[(size_t)p * b + r] = at;
      at += lists[p].count[r];
    }
    matches = at == batchIndptr[r + 1];
  }
  if (!matches) {
    std::copy(saved.begin(), saved.end(), cursor);
    fail(env, "csrGather: V's entries in the batch do not match batchIndptr (batches out of order?)");
    return nullptr;
  }
  int32_t* outIndices = const_cast<int32_t*>(outIndicesIn);
  poolOf(env)->run(parts,
                   [&](int p) { scatterRuns(lists[p], next.data() + (size_t)p * b, outIndices, outValues.data); });
  double sum = lists[0].sum;
  for (int p = 1; p < parts; p++) {
    const GatherPart& part = lists[p];
    const size_t count = part.rows1 > part.rows0 ? (size_t)part.runEnd[part.rows1 - part.rows0 - 1] : 0;
    for (size_t q = 0; q < count; q++) {
      const double v = part.value[q];
      if (v == v) sum += v;
    }
  }
  napi_value result;
  napi_create_double(env, sum, &result);
  return result;
}

void defineMinibatchExports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"csrGather", nullptr, CsrGather, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 1, props);
}
