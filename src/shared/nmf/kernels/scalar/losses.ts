/**
 * Rows of WH and the per-row loss sums of the scalar reference kernels. The WebAssembly set reuses
 * `rowLossesOver` with its own rows of WH (the per-entry logs stay in JavaScript).
 */
import { logGamma } from '../../../linalg/random';
import type { NmfKernels } from '../contract';
import { EPS32, powBy, powCode } from './numbers';
import { rowProducts } from './rows';

/** `NmfKernels.whRows`: row i of WH from `rowProducts`, one row at a time. */
export const whRows: NmfKernels['whRows'] = (W, Ht, m, n, k, visit) => {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    rowProducts(W, i * k, Ht, n, k, row);
    visit(i, row, 0);
  }
};

/**
 * The running sums of the β = 0 and general-β losses (`NmfKernels.betaLossSums`' three), added
 * entry by entry in the caller's order: `kept` for each observed V > EPS32 with its (WH)_ij
 * (WHs: EPS32 where WH = 0), `all` for every observed entry.
 *   keptA: β = 0 Σ V/WHs, else Σ V^β;   keptB: β = 0 Σ log(V/WHs), else Σ V·WHs^(β−1);
 *   allWHBeta: Σ WH^β, unclamped (general β only; 0 when β = 0).
 */
export class BetaLossSums {
  keptA = 0;
  keptB = 0;
  allWHBeta = 0;
  private readonly eB: number;
  private readonly cB: ReturnType<typeof powCode>;
  private readonly cBeta: ReturnType<typeof powCode>;

  constructor(private readonly beta: number) {
    this.eB = beta - 1;
    this.cB = powCode(this.eB);
    this.cBeta = powCode(beta);
  }

  kept(v: number, wh: number): void {
    const whs = wh === 0 ? EPS32 : wh;
    if (this.beta === 0) {
      const div = v / whs;
      this.keptA += div;
      this.keptB += Math.log(div);
    } else {
      this.keptA += powBy(v, this.beta, this.cBeta);
      this.keptB += v * powBy(whs, this.eB, this.cB);
    }
  }

  all(wh: number): void {
    if (this.beta !== 0) this.allWHBeta += powBy(wh, this.beta, this.cBeta);
  }
}

/**
 * `NmfKernels.betaLossSums` computed from the rows of WH that `rows` (a set's `whRows`) visits:
 * the three running sums of {@link BetaLossSums} in row-major order.
 */
export function betaLossSumsOver(rows: NmfKernels['whRows']): NmfKernels['betaLossSums'] {
  return (V, m, n, k, W, Ht, beta, sums) => {
    const running = new BetaLossSums(beta);
    rows(W, Ht, m, n, k, (i, wh, at) => {
      for (let j = 0; j < n; j++) {
        const v = V[i * n + j];
        if (v !== v) continue;
        const whj = wh[at + j];
        if (v > EPS32) running.kept(v, whj);
        running.all(whj);
      }
    });
    sums[0] = running.keptA;
    sums[1] = running.keptB;
    sums[2] = running.allWHBeta;
  };
}

/** `NmfKernels.rowLosses` computed from the rows of WH that `rows` (a set's `whRows`) visits. */
export function rowLossesOver(rows: NmfKernels['whRows']): NmfKernels['rowLosses'] {
  return (kind, V, m, n, k, W, Ht, sums) => {
    rows(W, Ht, m, n, k, (i, wh, at) => {
      const vi = i * n;
      let a = 0;
      let b = 0;
      if (kind === 3 || kind === 4) {
        // The KL sums (kind 3) and the log-likelihood's V-dependent part from one row of WH.
        let c = 0;
        for (let j = 0; j < n; j++) {
          const v = V[vi + j];
          const whj = wh[at + j];
          if (kind === 3 && v > EPS32) {
            a += v * Math.log(v / (whj === 0 ? EPS32 : whj));
            b += v;
          }
          if (v > 0) c += v * Math.log(whj) - logGamma(v + 1);
        }
        sums[3 * i] = a;
        sums[3 * i + 1] = b;
        sums[3 * i + 2] = c;
        return;
      }
      if (kind === 1) {
        for (let j = 0; j < n; j++) {
          const v = V[vi + j];
          if (!(v > EPS32)) continue;
          const whj = wh[at + j];
          a += v * Math.log(v / (whj === 0 ? EPS32 : whj));
          b += v;
        }
      } else {
        for (let j = 0; j < n; j++) {
          const v = V[vi + j];
          if (v !== v) continue;
          const r = v - wh[at + j];
          a += r * r;
        }
      }
      sums[2 * i] = a;
      sums[2 * i + 1] = b;
    });
  };
}

/**
 * `NmfKernels.csrRowLosses`: per-row KL sums on CSR V, each row's stored entries in stored order,
 * (WH)_ij = Σ_t W_it·Ht_jt added one component at a time in t order (as `klSparseRatios` computes
 * a sparse row's entries). The caller adds the row sums in row order, so the rows can be split
 * over threads without changing a bit (contract rule 4).
 */
export const csrRowLosses: NmfKernels['csrRowLosses'] = (indptr, indices, data, m, _n, k, W, Ht, sums) => {
  for (let i = 0; i < m; i++) {
    const wi = i * k;
    let a = 0;
    let b = 0;
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      const v = data[p];
      if (!(v > EPS32)) continue;
      const hj = indices[p] * k;
      let wh = 0;
      for (let t = 0; t < k; t++) wh += W[wi + t] * Ht[hj + t];
      a += v * Math.log(v / (wh === 0 ? EPS32 : wh));
      b += v;
    }
    sums[2 * i] = a;
    sums[2 * i + 1] = b;
  }
};
