import { z } from 'zod';
import { RUN_FIT_DEFAULTS } from './defaults';
import { initNames, runParamsSchema, type RunParams } from './params';
import type { RunHOrderView, RunState } from './records';
import type { SweepClusterProvenance } from './views';

/**
 * Projections of new samples onto a saved run, and cNMF consensus runs (Kotliar et al. 2019), as
 * the API and the CLI see them.
 */

/**
 * Fit settings of a consensus's replicate fits, with cNMF's defaults (`cNMF.prepare`): random
 * starts (each replicate must start elsewhere; NNDSVD would give every seed the same fit), up to
 * 1000 iterations; multiplicative updates get a run's HALS warm-up unless `warmup` is 0. The refit
 * of H on the consensus W uses the same loss and solver.
 */
export const consensusFitSchema = runParamsSchema.omit({ rank: true, replicates: true }).extend({
  init: z.enum(initNames).default('random'),
  maxIter: z.number().int().min(1).max(1_000_000).default(1000),
  // Stored with every new consensus; one stored before the field ran a fixed warm-up (absent = 0).
  warmupTol: z.number().min(0).max(0.5).default(RUN_FIT_DEFAULTS.warmupTol),
});

/** A consensus over ranks fromRank..toRank (one rank: fromRank = toRank). */
export const consensusParamsSchema = z
  .object({
    fromRank: z.number().int().min(1).max(1000),
    toRank: z.number().int().min(1).max(1000),
    /** Replicate fits per rank (cNMF's `n_iter`, default 100). */
    replicates: z.number().int().min(2).max(1000).default(100),
    /** Local-density threshold (cNMF's default 0.5; 2 or more keeps every column). */
    densityThreshold: z.number().positive().max(10).default(0.5),
    /** Nearest neighbours for the local density; default ⌊0.3 · replicates⌋ (cNMF). */
    neighbours: z.number().int().min(1).max(100_000).optional(),
    fit: consensusFitSchema.default(() => consensusFitSchema.parse({})),
  })
  .strict()
  .refine((s) => s.fromRank <= s.toRank, { message: 'fromRank must not exceed toRank', path: ['toRank'] });

export type ConsensusParamsInput = z.input<typeof consensusParamsSchema>;
export type ConsensusParams = z.output<typeof consensusParamsSchema>;

/** One rank of a finished consensus. */
export interface ConsensusRank {
  rank: number;
  /** The consensus run (W, refitted H) stored in the library; null if the rank could not be built. */
  runId: number | null;
  /** Why the rank has no run (e.g. too few columns passed the density filter). */
  error: string | null;
  threshold: number;
  neighbours: number;
  /** Local density of every pooled replicate column, replicate by replicate. */
  density: number[];
  /** Pooled columns kept and dropped by the density filter, as "replicate:component" (0-based). */
  kept: string[];
  dropped: string[];
  /** k-means group of every pooled column (−1: dropped). */
  labels: number[];
  /** Silhouette of the clustering of the kept columns. */
  silhouette: number | null;
  /** cNMF's rank-plot stability: silhouette of the clustering without the density filter. */
  stability: number | null;
  /** cNMF's rank-plot error: ‖V − W·H‖²_F of the unfiltered consensus with H refitted. */
  error2: number | null;
  /** The fit's loss (β-divergence) of the stored consensus run. */
  loss: number | null;
}

export interface ConsensusSummary {
  id: number;
  datasetId: number;
  datasetName: string;
  state: RunState;
  params: ConsensusParams;
  jobsDone: number;
  jobsTotal: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface ConsensusDetail extends ConsensusSummary {
  ranks: ConsensusRank[];
  /** Where the replicate fits ran, for a consensus merged from a cluster job folder; null for one run here. */
  cluster?: SweepClusterProvenance | null;
}

/** The clustergram of one rank: distances between the pooled unit-norm columns, ordered by group. */
export interface ConsensusClustergram {
  rank: number;
  /** Pooled column indices in display order (kept columns by group, then dropped ones). */
  order: number[];
  /** Group of each displayed column (−1: dropped). */
  labels: number[];
  /** P × P Euclidean distances in display order, row-major. */
  distances: Float64Array;
}

/** Provenance a consensus run carries (inside RunProvenance.consensus). */
export interface ConsensusProvenance {
  consensusId: number;
  rank: number;
  replicates: number;
  /** Seeds of the replicate fits. */
  seeds: number[];
  threshold: number;
  neighbours: number;
  keptColumns: number;
  droppedColumns: string[];
  silhouette: number | null;
}

export interface ProjectionSummary {
  id: number;
  runId: number;
  datasetId: number;
  datasetName: string;
  rank: number;
  /** Loss, solver and stopping rule used (the run's). */
  params: Pick<RunParams, 'loss' | 'beta' | 'solver' | 'maxIter' | 'tol' | 'l1H' | 'l2H'>;
  matched: number;
  /** Run features absent from the new dataset. */
  missing: string[];
  /** Features of the new dataset the run does not have. */
  dropped: string[];
  iterations: number;
  converged: boolean;
  loss: number;
  createdAt: string;
}

export interface ProjectionDetail extends ProjectionSummary {
  /** k × n (the new dataset's samples), row-major, as fitted. */
  H: Float64Array;
  sampleNames: string[];
}

/**
 * The projected H of many new samples as the projection panel draws it, made in the main process
 * (services/projections.ts `summariseProjectionH`, shared/analysis/run-views.ts): no k × n array,
 * a few tens of kB whatever n is.
 */
export interface ProjectionHSummary {
  /** n, the new dataset's samples (the sample names are not sent). */
  samples: number;
  /** Finite range of H, the heat map's colour scale. */
  range: { min: number; max: number };
  /** The H heat map: k × columns block maxima of the samples as fitted (`blockMaxima`). */
  map: RunHOrderView['map'];
}

/**
 * A stored projection as `projections:get` answers: the whole {@link ProjectionDetail} up to
 * `H_VIEW_MAX_ENTRIES` entries of H (shared/analysis/run-views.ts `summarisesH`, the Run screen's
 * threshold); above, `H` null, `sampleNames` empty and `hSummary` in their place.
 */
export interface ProjectionView extends Omit<ProjectionDetail, 'H'> {
  H: Float64Array | null;
  /** Present exactly when H is null. */
  hSummary?: ProjectionHSummary;
}
