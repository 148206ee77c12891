import { categoryCodes, type CategoricalAnnotation } from './annotations';
import { adjustedRandIndexOfTable } from './rand';

/**
 * Agreement of a clustering of the samples with a known classification (a categorical annotation):
 * how well the rank's clusters recover, say, Golub's ALL-B / ALL-T / AML (Brunet et al. 2004, Fig. 2).
 */
export interface ClassAgreement {
  /** The annotation column. */
  column: string;
  /** Adjusted Rand index (Hubert & Arabie 1985) over the samples that have a class. */
  ari: number;
  /**
   * Purity (Manning, Raghavan & Schütze 2008, §16.3): Σ over clusters of the size of its largest
   * class, divided by the samples counted. 1 when every cluster holds one class; it rises with the
   * number of clusters, so read it beside the ARI.
   */
  purity: number;
  /** Class names (rows of `counts`). */
  classes: string[];
  /** counts[class][cluster]: samples of that class in that cluster. */
  counts: number[][];
  /** Samples compared (those whose class is given). */
  samples: number;
  /** Samples left out because the annotation gives no class. */
  unlabelled: number;
}

/**
 * @param clusters cluster of each sample, 0..k−1 (length n)
 * @param column categorical annotation aligned with the same samples
 * @param clusterCount k (columns of the contingency table)
 */
export function classAgreement(
  clusters: ArrayLike<number>,
  column: CategoricalAnnotation,
  clusterCount: number,
): ClassAgreement {
  if (clusters.length !== column.values.length) {
    throw new RangeError(`${clusters.length} cluster labels for ${column.values.length} annotated samples`);
  }
  const codes = categoryCodes(column);
  const counts = column.levels.map(() => new Array<number>(clusterCount).fill(0));
  let samples = 0;
  for (let j = 0; j < codes.length; j++) {
    const code = codes[j];
    if (code < 0) continue;
    const cluster = clusters[j];
    if (!Number.isInteger(cluster) || cluster < 0 || cluster >= clusterCount)
      throw new RangeError(`sample ${j} has cluster ${cluster}, outside 0..${clusterCount - 1}`);
    counts[code][cluster]++;
    samples++;
  }
  let majority = 0;
  for (let c = 0; c < clusterCount; c++) {
    let best = 0;
    for (const row of counts) best = Math.max(best, row[c]);
    majority += best;
  }
  return {
    column: column.name,
    // From the table: the same number as adjustedRandIndex of the labelled samples' two labelings.
    ari: samples > 0 ? adjustedRandIndexOfTable(counts) : NaN,
    purity: samples > 0 ? majority / samples : NaN,
    classes: [...column.levels],
    counts,
    samples,
    unlabelled: clusters.length - samples,
  };
}
