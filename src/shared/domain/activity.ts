/** A run (its own samples) or a projection (new samples on a run's components) in Compare. */
export interface ActivityItemRef {
  kind: 'run' | 'projection';
  id: number;
}

/** What Compare shows of one item when comparing component activities. */
export interface ActivityItemView extends ActivityItemRef {
  /** The run whose components the item uses (the run itself, or the run projected onto). */
  runId: number;
  rank: number;
  /** The dataset whose samples the item describes. */
  datasetId: number;
  datasetName: string;
  samples: number;
  /** β-divergence of the fit over its entries, and per entry (comparable across datasets). */
  loss: number;
  lossPerEntry: number;
  /** Projections: features matched to the run's, and the run's features missing from the new data. */
  matched: number | null;
  missing: number | null;
  /** Mean share of each component in the samples (sums to 1). */
  usage: number[];
}

export interface ActivityPairView {
  a: number;
  b: number;
  /** Whether the two items use the same run's components (then the matches are the identity). */
  sameComponents: boolean;
  /** Whether the two items describe the same samples (then per-sample agreement is measured). */
  sameSamples: boolean;
  matches: Array<{
    a: number;
    b: number;
    similarity: number;
    usageA: number;
    usageB: number;
    clusterShareA: number;
    clusterShareB: number;
    activityCorrelation: number | null;
  }>;
  clusterAgreement: number | null;
}

/** `compare:activity`: every pair of the chosen runs and projections. */
export interface ActivityComparisonView {
  items: ActivityItemView[];
  pairs: ActivityPairView[];
}
