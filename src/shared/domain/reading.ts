import type { AnnotationAxis, AnnotationColumn } from '../analysis/annotations';
import type { ClassAgreement } from '../analysis/classes';
import type { MarkerMethod } from '../analysis/markers';

/**
 * Views for reading components against what the researcher knows: annotation tables, agreement of
 * sample clusters with known classes, marker features, gene-set enrichment and consensus maps.
 */

export type { AnnotationAxis, AnnotationColumn, ClassAgreement, MarkerMethod };

/** One imported annotation file, with its provenance. */
export interface AnnotationSet {
  id: number;
  datasetId: number;
  axis: AnnotationAxis;
  /** The file as the user named it. */
  sourceName: string;
  /** SHA-256 of the file's bytes. */
  sourceHash: string;
  /** Header of the name column. */
  keyColumn: string;
  columns: AnnotationColumn[];
  createdAt: string;
  /** On import only (not stored): what was left out, e.g. `.h5ad` columns that are not 1-D. */
  warnings?: string[];
}

/** How many of a class column's classes an annotation heading lists (the Dataset screen shows as many). */
export const ANNOTATION_LEVELS_LISTED = 6;

/** An annotation column without its values: its name and kind, and for classes their number and the first few. */
export interface AnnotationColumnHeading {
  name: string;
  kind: 'categorical' | 'numeric';
  /** Number of classes (null for a numeric column). */
  levelCount: number | null;
  /** The first {@link ANNOTATION_LEVELS_LISTED} classes in order of first appearance (empty for a numeric column). */
  firstLevels: string[];
}

/**
 * An imported annotation file as the Dataset screen lists it (`annotations:sets`): its provenance
 * and columns without one value per sample or feature, so a 10⁶-sample dataset's list stays small.
 */
export interface AnnotationSetHeading extends Omit<AnnotationSet, 'columns' | 'warnings'> {
  columns: AnnotationColumnHeading[];
}

/** Every annotation of a dataset; `samples`/`features` merge the sets (a later file's column replaces an earlier one of the same name). */
export interface DatasetAnnotations {
  datasetId: number;
  sets: AnnotationSet[];
  samples: AnnotationColumn[];
  features: AnnotationColumn[];
}

/**
 * Agreement of one clustering of the samples with every categorical sample annotation: a few
 * numbers per class and cluster, whatever the number of samples.
 */
export interface RankAgreement {
  rank: number;
  /** `consensus`: the sweep's consensus clusters at this rank; `dominant`: each sample's dominant component in W·H. */
  source: 'consensus' | 'dominant';
  agreements: ClassAgreement[];
}

/** A run's clustering and its agreement with the classes (`runs:classes`). */
export interface ClusterAgreement extends RankAgreement {
  /**
   * Cluster of each sample (0..rank−1), for a run whose H `runs:get` sends (the window draws its
   * coefficient map with them); null for a run it summarises (`summarisesH`), whose map the main
   * process bins by these clusters itself (`hSummary.coefficients`).
   */
  clusters: number[] | null;
}

export interface RunClassesView {
  runId: number;
  /** Null when the dataset has no categorical sample annotation. */
  classes: ClusterAgreement | null;
}

/** Each rank's consensus clusters against the classes (`sweeps:classes`); the clusters stay in the main process. */
export interface SweepClassesView {
  sweepId: number;
  /** Categorical sample annotations compared (empty when there are none). */
  columns: string[];
  ranks: RankAgreement[];
}

export interface MarkerFeatureView {
  feature: string;
  index: number;
  score: number;
  loading: number;
  selected: boolean;
}

export interface MarkersView {
  runId: number;
  method: MarkerMethod;
  /** Kim–Park's score threshold (median + 3·MAD); null for z-scores. */
  threshold: number | null;
  components: Array<{ component: number; name: string; features: MarkerFeatureView[] }>;
}

export interface EnrichmentView {
  runId: number;
  method: MarkerMethod;
  /** Markers per component used as the query. */
  top: number;
  gmtName: string;
  /** Features of the dataset (the universe). */
  universe: number;
  /** Sets of the GMT file with at least one gene among the features. */
  setsTested: number;
  components: Array<{
    component: number;
    name: string;
    markers: number;
    sets: Array<{ name: string; overlap: number; size: number; p: number; q: number; genes: string[] }>;
  }>;
}

/** R NMF's `consensusmap` for one rank of a sweep: the consensus matrix reordered by its dendrogram. */
export interface ConsensusMapView {
  sweepId: number;
  rank: number;
  /** How many fits the matrix averages: the sweep's independent consensus fits, else its replicates. */
  replicates: number;
  /** Samples shown, in dendrogram leaf order (indices into the dataset's samples). */
  order: number[];
  /**
   * The shown samples' names in `order`, up to `FIGURE_MAX_CELLS` (240) shown samples; empty above,
   * where the figure averages samples into blocks and writes no names.
   */
  sampleNames: string[];
  /**
   * The consensus, rows and columns in `order`, row-major (Float32: entries are r/R fractions,
   * shown, not computed on): s × s up to `FIGURE_MAX_CELLS` (240) shown samples; above, the
   * `matrixCells` × `matrixCells` means of the blocks the figure draws (shared `downsample`,
   * 'mean'), not the s × s matrix (16 MB at 2000 samples) the window would average to them.
   */
  matrix: Float32Array;
  /** Rows (= columns) of `matrix`: min(s, 240). */
  matrixCells: number;
  /** Average-linkage tree of 1 − C over the shown samples (leaf ids are positions in the unordered subsample, see `leaves`). */
  merges: Array<{ left: number; right: number; height: number; size: number }>;
  /** Sample index of each tree leaf id 0..s−1. */
  leaves: number[];
  /** Consensus cluster of each shown sample, in `order`. */
  clusters: number[];
  /**
   * The dataset's sample annotation columns (merged as `annotations:list` merges them) over the
   * shown samples only, in `order`: the map's tracks, without sending every sample's values.
   */
  sampleTracks: AnnotationColumn[];
  /** Set when the samples exceed the map's limit: a fixed random subsample is drawn. */
  subsample: { shown: number; of: number } | null;
  cophenetic: number | null;
  dispersion: number | null;
}
