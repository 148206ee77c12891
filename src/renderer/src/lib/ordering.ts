/**
 * Display orders for heatmap rows (features of W) and columns (samples of H). Pure, DOM-free.
 */
import { dominantOrderOf } from '../../../shared/analysis/run-views';

/** Above this many items average linkage (O(n²) memory) gives way to the dominant-component order. */
export const clusterLimit = 2000;

/**
 * Orders the rows of an m × k row-major matrix by their strongest column, then by that column's
 * weight (descending): the shared {@link dominantOrderOf} over rows. O(m·k + m log m): the cheap
 * order for large m, and the natural one for W (features grouped by module, strongest members first).
 */
export function dominantOrder(values: ArrayLike<number>, m: number, k: number): Int32Array {
  return dominantOrderOf(values, m, k, k, 1);
}

/** Cosine distance 1 − cos(a, b) between rows i and j; rows of zeros are at distance 1 from all. */
function cosineDistances(values: ArrayLike<number>, m: number, k: number): Float64Array {
  const norms = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) {
      const v = values[i * k + j];
      if (Number.isFinite(v)) s += v * v;
    }
    norms[i] = Math.sqrt(s);
  }
  const d = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    for (let b = a + 1; b < m; b++) {
      let dot = 0;
      for (let j = 0; j < k; j++) {
        const x = values[a * k + j];
        const y = values[b * k + j];
        if (Number.isFinite(x) && Number.isFinite(y)) dot += x * y;
      }
      const denom = norms[a] * norms[b];
      const dist = denom > 0 ? 1 - dot / denom : 1;
      d[a * m + b] = dist;
      d[b * m + a] = dist;
    }
  }
  return d;
}

/**
 * Leaf order of an average-linkage (UPGMA) hierarchical clustering of the rows of an m × k matrix
 * under cosine distance. Uses the nearest-neighbour-chain algorithm (Murtagh 1983), O(m²) time and
 * memory, valid because average linkage is reducible. Ties are broken by the lower index so the
 * result is deterministic.
 */
export function averageLinkageOrder(values: ArrayLike<number>, m: number, k: number): Int32Array {
  if (m <= 2) return Int32Array.from({ length: m }, (_, i) => i);
  const d = cosineDistances(values, m, k);
  const size = new Int32Array(m).fill(1);
  const active = new Uint8Array(m).fill(1);
  // Each slot holds a cluster; its members in leaf order are kept as a linked list (head, tail, next).
  const head = Int32Array.from({ length: m }, (_, i) => i);
  const tail = Int32Array.from({ length: m }, (_, i) => i);
  const next = new Int32Array(m).fill(-1);
  const chain: number[] = [];
  let remaining = m;
  while (remaining > 1) {
    if (chain.length === 0) {
      let start = 0;
      while (!active[start]) start++;
      chain.push(start);
    }
    const a = chain[chain.length - 1];
    const previous = chain.length > 1 ? chain[chain.length - 2] : -1;
    let b = previous;
    let nearest = previous >= 0 ? d[a * m + previous] : Infinity;
    for (let c = 0; c < m; c++) {
      if (!active[c] || c === a) continue;
      const dist = d[a * m + c];
      if (dist < nearest) {
        nearest = dist;
        b = c;
      }
    }
    if (b === previous) {
      chain.pop();
      chain.pop();
      // Merge b into a (Lance–Williams update for average linkage).
      const na = size[a];
      const nb = size[b];
      for (let c = 0; c < m; c++) {
        if (!active[c] || c === a || c === b) continue;
        const dist = (na * d[a * m + c] + nb * d[b * m + c]) / (na + nb);
        d[a * m + c] = dist;
        d[c * m + a] = dist;
      }
      size[a] = na + nb;
      active[b] = 0;
      next[tail[a]] = head[b];
      tail[a] = tail[b];
      remaining--;
    } else {
      chain.push(b);
    }
  }
  let root = 0;
  while (!active[root]) root++;
  const order = new Int32Array(m);
  let at = head[root];
  for (let i = 0; i < m; i++) {
    order[i] = at;
    at = next[at];
  }
  return order;
}

/** Transposes a rows × cols row-major matrix. */
export function transpose(values: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = values[i * cols + j];
  return out;
}

export type OrderKind = 'fitted' | 'clustered' | 'dominant';

/**
 * The display order of rows for the chosen kind. 'clustered' falls back to 'dominant' above
 * `clusterLimit` rows (reported through `used`).
 */
export function rowOrder(
  values: ArrayLike<number>,
  m: number,
  k: number,
  kind: OrderKind,
): { order: Int32Array | null; used: OrderKind } {
  if (kind === 'fitted') return { order: null, used: 'fitted' };
  if (kind === 'clustered' && m <= clusterLimit)
    return { order: averageLinkageOrder(values, m, k), used: 'clustered' };
  return { order: dominantOrder(values, m, k), used: 'dominant' };
}

/** Indices of the `count` largest entries of column `column` of an m × k matrix, largest first. */
export function topOfColumn(
  values: ArrayLike<number>,
  m: number,
  k: number,
  column: number,
  count: number,
): number[] {
  const indices = Array.from({ length: m }, (_, i) => i);
  indices.sort((a, b) => values[b * k + column] - values[a * k + column] || a - b);
  return indices.slice(0, Math.min(count, m));
}
