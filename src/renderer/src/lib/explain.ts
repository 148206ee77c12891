/** One-line explanations shown beside each parameter. */
export const explain = {
  rank: 'Number of components k: how many modules / patterns to extract.',
  loss: 'How the reconstruction error is measured; KL suits counts, Frobenius suits continuous data.',
  beta: 'β of the β-divergence: 2 = Frobenius, 1 = KL, 0 = Itakura–Saito; in between interpolates.',
  solver:
    'Multiplicative updates work for every loss; HALS converges faster but only for Frobenius; ALS (alternating NNLS, as RcppML) needs fewer iterations than HALS, which pays off on matrices with few columns; minibatch MU updates W after every batch of samples (online), then ends with a few full-batch passes, for data with very many samples.',
  init: 'Starting point: NNDSVD variants are deterministic SVD-based starts; random depends on the seed.',
  maxIter: 'Upper bound on iterations per fit.',
  tol: 'Stop when the relative improvement of the loss falls below this.',
  seed: 'Seed of the random generator: the same seed and data give the same result.',
  l1W: 'L1 penalty on W: pushes loadings to exactly zero (sparser modules).',
  l2W: 'L2 penalty on W: shrinks loadings smoothly.',
  l1H: 'L1 penalty on H: sparser activations per sample.',
  l2H: 'L2 penalty on H: shrinks activations smoothly.',
  shuffle: 'Update coordinates in random order (HALS); can help escape poor starts.',
  batchSize:
    'Samples per batch of the minibatch solver: W is updated after every batch; max iterations counts passes over the data.',
  warmup:
    'HALS iterations before multiplicative updates (MU only; counted in the iteration budget): steers count fits away from poor local minima. 0 = plain MU, as scikit-learn.',
  warmupTol:
    'The warm-up goes on past its iterations until HALS settles: until its loss falls by less than this share over 10 iterations (at most half the budget). Small modules with much of the total can take hundreds of iterations to separate. 0 = exactly the warm-up iterations.',
  replicates:
    'Fit several times and keep the lowest loss: the first from the start chosen above, the others from random starts (seeds seed + 1, seed + 2, …).',
  fromRank: 'Smallest k to try.',
  toRank: 'Largest k to try.',
  sweepReplicates:
    'Fits per k: the best gives the rank its loss, BIC and the run kept; without independent consensus fits, their agreement also gives the cophenetic and stability criteria.',
  consensusFits: {
    auto: 'Independent fits from random starts without warm-up give the cophenetic and stability criteria when they cost at most twice the rest of the sweep; otherwise the replicates do. The estimate below shows what each part costs.',
    independent:
      'Fits from random starts without warm-up, for consensus clustering and stability, however much time they add (the estimate below shows how much).',
    replicates:
      'No extra fits: the cophenetic and stability criteria come from the warm-started replicates, which agree more readily, so both read higher than independent fits would give; the recommendation says so.',
  },
  cvFolds: 'Entries held out to score prediction error per k (0 = no cross-validation).',
  holdoutTenth:
    'Each fold holds out its own tenth of the entries instead of every entry being in one fold, so no sample has a small program (a few genes) held out whole; each fit then trains on 90 % of the data, which can move the lowest error to a higher rank.',
  baseline: 'Also fit a row-shuffled copy of the data: criteria that do no better than it indicate noise.',
  /** R NMF's rank-survey measures (nmfEstimateRank), each read against the shuffled baseline. */
  survey: {
    rss: "rss: Σ (V − WH)² of the best fit (R NMF's rss); falls with k, faster than the baseline's while k adds structure.",
    evar: "evar: the share of Σ V² the best fit explains, 1 − rss / Σ V² (R NMF's evar); rises with k, look for where its gain over the baseline stops growing.",
    sparsenessBasis:
      "sparseness of W: mean Hoyer sparseness of the components' loadings (R NMF's sparseness basis); 1 = each component uses one feature, 0 = all equally.",
    sparsenessCoef:
      "sparseness of H: mean Hoyer sparseness of the samples' coefficients (R NMF's sparseness coef); high = each sample mostly one component.",
    silhouetteCoef:
      "silhouette of the samples, clustered by their largest coefficient with 1 − correlation of H's columns (R NMF's silhouette coef); near 1 = well-separated clusters, drops past the true rank.",
    silhouetteBasis:
      "silhouette of the features, clustered by their largest loading with 1 − correlation of W's rows (R NMF's silhouette basis); near 1 = features belong clearly to one component.",
    silhouetteConsensus:
      "silhouette of the consensus clusters with 1 − consensus as the distance (R NMF's silhouette consensus); near 1 = samples cluster the same way in every fit, like the cophenetic.",
  },
  transform: {
    none: 'Keep the values as they are (recommended for raw counts with KL).',
    sqrt: 'Square root: stabilises the variance of Poisson-like counts.',
    log1p: 'log(1 + x): compresses heavy-tailed values such as normalised expression.',
  },
  transpose: 'NMF expects features (genes, neurons) as rows and samples as columns.',
  header: 'The first line holds the sample (column) names.',
  rowNames: 'The first column holds the feature (row) names.',
  features: 'Rows of the generated matrix (genes).',
  samples: 'Columns of the generated matrix.',
  synthRank: 'Number of planted gene modules.',
  moonlighting: 'Fraction of genes placed in two modules at once.',
  depth:
    'Expected total count per sample (column), spread over its genes; lower depth means noisier data (empty = 1000 × genes, a mean of about 1000 per entry).',
  synthSeed: 'Seed: the same settings and seed give the same dataset.',
} as const;
