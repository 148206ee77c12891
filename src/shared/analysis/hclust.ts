/**
 * Average-linkage (UPGMA) hierarchical clustering on a condensed distance vector, with the
 * cophenetic distances and flat cuts the consensus analysis needs.
 *
 * Condensed layout (scipy.spatial.distance.squareform): for n points, the n(n−1)/2 distances
 * d(i, j), i < j, in the order (0,1), (0,2), …, (0,n−1), (1,2), …; index n·i − i(i+1)/2 + j − i − 1.
 */

/** Index of d(i, j), i ≠ j, in a condensed distance vector of n points. */
export function condensedIndex(n: number, i: number, j: number): number {
  if (i > j) [i, j] = [j, i];
  return n * i - (i * (i + 1)) / 2 + j - i - 1;
}

/** A dendrogram in scipy's linkage-matrix convention. */
export interface Linkage {
  /** Number of leaves. */
  n: number;
  /**
   * n − 1 merges in ascending height. Merge s joins clusters `left` and `right` (ids < n are leaves;
   * id n + t is the cluster formed by merge t) at `height`, giving a cluster of `size` leaves.
   */
  merges: Array<{ left: number; right: number; height: number; size: number }>;
}

/**
 * Average linkage by the nearest-neighbour chain algorithm (Murtagh 1983; Müllner 2011), with
 * Lance–Williams updates d(x∪y, i) = (|x|·d(x,i) + |y|·d(y,i)) / (|x| + |y|). Tie-breaking follows
 * scipy's `nn_chain` (prefer the previous chain element, then the lowest index), and merges are
 * stably sorted by height and relabelled as scipy's `linkage(method='average')` does, so the tree
 * matches scipy's also when distances tie.
 *
 * Time O(n²), memory O(n²) (one copy of the condensed distances).
 *
 * @param distances condensed n(n−1)/2 distances (not modified)
 * @param n number of points
 */
export function averageLinkage(distances: ArrayLike<number>, n: number): Linkage {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`need at least one point, got ${n}`);
  if (distances.length !== (n * (n - 1)) / 2) {
    throw new RangeError(
      `condensed distances of ${n} points need ${(n * (n - 1)) / 2} entries, got ${distances.length}`,
    );
  }
  const D = Float64Array.from(distances);
  for (let t = 0; t < D.length; t++) {
    if (Number.isNaN(D[t])) throw new RangeError('distances must not be NaN');
  }
  const size = new Int32Array(n).fill(1);
  const chain = new Int32Array(n);
  let chainLength = 0;
  const raw: Array<{ x: number; y: number; height: number; size: number }> = [];

  for (let step = 0; step < n - 1; step++) {
    if (chainLength === 0) {
      for (let i = 0; i < n; i++) {
        if (size[i] > 0) {
          chain[0] = i;
          chainLength = 1;
          break;
        }
      }
    }
    let x = 0;
    let y = 0;
    let currentMin = Infinity;
    for (;;) {
      x = chain[chainLength - 1];
      if (chainLength > 1) {
        y = chain[chainLength - 2];
        currentMin = D[condensedIndex(n, x, y)];
      } else {
        currentMin = Infinity;
      }
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || i === x) continue;
        const d = D[condensedIndex(n, x, i)];
        if (d < currentMin) {
          currentMin = d;
          y = i;
        }
      }
      if (chainLength > 1 && y === chain[chainLength - 2]) break;
      chain[chainLength++] = y;
    }
    chainLength -= 2;
    if (x > y) [x, y] = [y, x];
    const nx = size[x];
    const ny = size[y];
    raw.push({ x, y, height: currentMin, size: nx + ny });
    size[x] = 0;
    size[y] = nx + ny;
    for (let i = 0; i < n; i++) {
      const ni = size[i];
      if (ni === 0 || i === y) continue;
      const ix = condensedIndex(n, i, x);
      const iy = condensedIndex(n, i, y);
      D[iy] = (nx * D[ix] + ny * D[iy]) / (nx + ny);
    }
  }

  // Stable sort by height (numpy argsort kind='mergesort'), then relabel with union–find as
  // scipy's `label` does: a merge's clusters are named by the id of the cluster holding each point.
  const order = raw.map((_, s) => s).sort((s, t) => raw[s].height - raw[t].height || s - t);
  const parent = new Int32Array(2 * n - 1);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (v: number): number => {
    let root = v;
    while (parent[root] !== root) root = parent[root];
    while (parent[v] !== root) {
      const next = parent[v];
      parent[v] = root;
      v = next;
    }
    return root;
  };
  let nextLabel = n;
  const merges: Linkage['merges'] = [];
  for (const s of order) {
    const a = find(raw[s].x);
    const b = find(raw[s].y);
    const left = Math.min(a, b);
    const right = Math.max(a, b);
    parent[a] = nextLabel;
    parent[b] = nextLabel;
    nextLabel++;
    merges.push({ left, right, height: raw[s].height, size: raw[s].size });
  }
  return { n, merges };
}

/** Leaves of every cluster id (leaves and merges) of a linkage. */
function clusterMembers(tree: Linkage): number[][] {
  const members: number[][] = [];
  for (let i = 0; i < tree.n; i++) members.push([i]);
  for (const merge of tree.merges) members.push(members[merge.left].concat(members[merge.right]));
  return members;
}

/**
 * Cophenetic distances: for each pair of leaves, the height of the merge that first joins them
 * (scipy.cluster.hierarchy.cophenet).
 *
 * @returns condensed n(n−1)/2 vector
 */
export function copheneticDistances(tree: Linkage): Float64Array {
  const { n } = tree;
  const out = new Float64Array((n * (n - 1)) / 2);
  const members = clusterMembers(tree);
  for (const merge of tree.merges) {
    for (const i of members[merge.left]) {
      for (const j of members[merge.right]) out[condensedIndex(n, i, j)] = merge.height;
    }
  }
  return out;
}

/**
 * Flat clusters from cutting the tree into at most `k` clusters: undo the last k − 1 merges
 * (R's `cutree(tree, k)`; scipy's `fcluster(Z, k, 'maxclust')` when heights are monotone, which
 * average linkage guarantees). Cluster numbers 0..k−1 are given in order of each cluster's
 * lowest-numbered leaf, so leaf 0 is always in cluster 0.
 *
 * @returns cluster of each leaf, length n
 */
export function cutTree(tree: Linkage, k: number): number[] {
  const { n } = tree;
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`cluster count must be a positive integer, got ${k}`);
  const keep = Math.max(0, n - Math.min(k, n));
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]];
      v = parent[v];
    }
    return v;
  };
  // Representative leaf of every cluster id, to apply the first `keep` merges with union–find on leaves.
  const representative: number[] = [];
  for (let i = 0; i < n; i++) representative.push(i);
  for (let s = 0; s < tree.merges.length; s++) {
    const merge = tree.merges[s];
    const a = representative[merge.left];
    const b = representative[merge.right];
    representative.push(a);
    if (s < keep) parent[find(b)] = find(a);
  }
  const labelOfRoot = new Map<number, number>();
  const labels = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const root = find(i);
    let label = labelOfRoot.get(root);
    if (label === undefined) {
      label = labelOfRoot.size;
      labelOfRoot.set(root, label);
    }
    labels[i] = label;
  }
  return labels;
}
