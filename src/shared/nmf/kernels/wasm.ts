import * as host from '../wasm';
import type { NmfKernels } from './contract';
import { sequentialFused } from './fused';
import { betaBlockCoefficients } from './scalar/beta';
import { betaLossSumsOver, rowLossesOver } from './scalar/losses';

/**
 * The WebAssembly (SIMD) kernels as a kernel set (the host is ../wasm/index.ts, the module
 * ../wasm/assembly). With a kernel team's lead (../wasm/team.ts), the dense products, the KL
 * numerators (dense and CSR) and the coordinate-descent sweeps are split over the team where they
 * are large enough and V is shared; every other call runs on this thread. WebAssembly serves every
 * kernel except `timesSmall` (k × k work) and `csrRowLosses` (one log per stored entry, in
 * JavaScript either way), which the scalar set does. The terms of the general-β passes and the
 * losses' logs stay in JavaScript between the WebAssembly passes.
 *
 * Returns null where WebAssembly does not instantiate (then the scalar set is the answer).
 */
export function wasmKernels(fallback: NmfKernels, lead: host.TeamLead | null): NmfKernels | null {
  if (!host.wasmAvailable()) return null;
  const whRows: NmfKernels['whRows'] = (W, Ht, m, n, k, visit) =>
    host.forEachWhBlock(W, Ht, m, n, k, (i0, rows, block) => {
      for (let r = 0; r < rows; r++) visit(i0 + r, block, r * n);
    });
  const threads = lead === null ? 1 : lead.threads;
  const set: NmfKernels = {
    ...fallback,
    backend: 'wasm',
    threads,
    threadsUsed: () => (lead !== null && lead.calls > 0 ? lead.threads : 1),
    denseTimes: (V, m, n, F, k, out) => host.denseTimes(lead, V, m, n, F, k, out),
    denseTransposeTimes: (V, m, n, W, k, out) => host.denseTransposeTimes(lead, V, m, n, W, k, out),
    csrTimes: (indptr, indices, data, m, n, F, k, out) =>
      host.csrProduct(0, indptr, indices, data, m, n, F, k, out),
    csrTransposeTimes: (indptr, indices, data, m, n, W, k, out) =>
      host.csrProduct(1, indptr, indices, data, m, n, W, k, out),
    gram: (A, rows, k, out) => host.gram(A, rows, k, out),
    klNumWDense: (V, m, n, k, W, Ht, numW) => host.klNumWDense(lead, V, m, n, k, W, Ht, numW),
    klNumHDense: (V, m, n, k, W, Ht, numHt) => host.klNumHDense(lead, V, m, n, k, W, Ht, numHt),
    klNumWCsr: (indptr, indices, data, m, n, k, W, Ht, numW) =>
      host.klCsr(lead, 0, indptr, indices, data, m, n, k, W, Ht, numW),
    klNumHCsr: (indptr, indices, data, m, n, k, W, Ht, numHt) =>
      host.klCsr(lead, 1, indptr, indices, data, m, n, k, W, Ht, numHt),
    betaW: (V, m, n, k, W, Ht, beta, numW, denW, _num, _den, scratch) =>
      host.betaTerms(0, m, n, k, W, Ht, betaBlockCoefficients(V, n, beta, scratch), numW, denW),
    betaH: (V, m, n, k, W, Ht, beta, numHt, denHt, _num, _den, scratch) =>
      host.betaTerms(1, m, n, k, W, Ht, betaBlockCoefficients(V, n, beta, scratch), numHt, denHt),
    maskedSums: (out, rows, F, others, k, total, ptr, idx) =>
      host.maskedSums(out, rows, F, others, k, total, ptr, idx),
    cdSweep: (F, rows, k, G, B, order) => host.cdSweep(lead, F, rows, k, G, B, order),
    maskedSweep: (F, rows, O, others, k, G, B, l2, ptr, idx, order) =>
      host.maskedSweep(F, rows, O, others, k, G, B, l2, ptr, idx, order),
    whRows,
    rowLosses: rowLossesOver(whRows),
    betaLossSums: betaLossSumsOver(whRows),
    release: () => {
      if (lead !== null) host.releaseTeamLead(lead);
    },
  };
  // The fused half-iterations as this set's own calls (not the wrapped set's).
  return { ...set, ...sequentialFused(set) };
}
