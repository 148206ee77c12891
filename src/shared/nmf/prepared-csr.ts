/**
 * The CSR index arrays (indptr) of the data sets prepared for a fit by `prepareData` (./data.ts).
 * The engine never writes V, so a kernel backend may check such a structure once (sorted columns
 * in [0, n) in every row, indptr within the stored entries) and trust it on every later call with
 * the same arrays (the native kernels' CSR handle, ./kernels/native.ts). Other CSR arrays (the
 * minibatch solver's batches, each a fresh view) are checked on every call. A weak set: it keeps
 * nothing alive. Its own module so that the kernels can read it without importing ./data.ts, which
 * scans V with them.
 */
const readOnlyCsr = new WeakSet<Int32Array>();

/** Records `indptr` as the CSR V of a prepared data set. */
export function markPreparedCsr(indptr: Int32Array): void {
  readOnlyCsr.add(indptr);
}

/** Whether `indptr` belongs to the CSR V of a prepared data set (see `readOnlyCsr`). */
export function isPreparedCsr(indptr: Int32Array): boolean {
  return readOnlyCsr.has(indptr);
}
